package testutil_test

import (
	"bufio"
	"bytes"
	"net"
	"path/filepath"
	"testing"

	proxyproto "github.com/pires/go-proxyproto"

	"github.com/tagwall/tagwall/internal/testutil"
)

func TestServiceTagsPath(t *testing.T) {
	got := testutil.ServiceTags(t, testutil.PublicTags)
	want := filepath.Join("..", "..", "..", "shared", "testdata", "servicetags", testutil.PublicTags)
	if got != want {
		t.Fatalf("ServiceTags = %q, want %q", got, want)
	}
}

func TestProxyHeaderRoundTrip(t *testing.T) {
	tests := []struct {
		name, client, dst string
	}{
		{name: "v4", client: "20.20.20.20", dst: "127.0.0.1:8443"},
		{name: "v6", client: "2001:db8::1", dst: "127.0.0.1:8443"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if _, err := testutil.ProxyHeader(tt.client, tt.dst).WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			h, err := proxyproto.Read(bufio.NewReader(&buf))
			if err != nil {
				t.Fatal(err)
			}
			src, ok := h.SourceAddr.(*net.TCPAddr)
			if !ok || src.AddrPort().Addr().Unmap().String() != tt.client {
				t.Fatalf("source = %v, want %s", h.SourceAddr, tt.client)
			}
		})
	}
}
