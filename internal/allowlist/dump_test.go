package allowlist

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

func TestDumpGolden(t *testing.T) {
	tag := NewTagSet("AzureCloud", 272, []netip.Prefix{
		netip.MustParsePrefix("20.38.0.0/16"),
		netip.MustParsePrefix("20.39.0.0/16"),
		netip.MustParsePrefix("20.38.4.0/24"),
		netip.MustParsePrefix("2603:1000::/24"),
		netip.MustParsePrefix("2603:1001::/48"),
	})
	tests := []struct {
		name string
		add  func(b *Builder)
	}{
		{name: "empty", add: func(*Builder) {}},
		{name: "disabled", add: func(b *Builder) { b.AllowAll() }},
		{name: "tag-and-addresses", add: func(b *Builder) {
			b.AddTag(tag, "AzureCloud")
			b.AddPrefix(netip.MustParsePrefix("20.20.20.20/32"), "20.20.20.20")
			b.AddPrefix(netip.MustParsePrefix("20.20.20.21/32"), "20.20.20.21")
			b.AddPrefix(netip.MustParsePrefix("2001:db8::/64"), "2001:db8::/64")
			b.AddPrefix(netip.MustParsePrefix("2001:db8:1::1/128"), "2001:db8:1::1")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Builder
			tt.add(&b)
			l, err := b.Build()
			if err != nil {
				t.Fatal(err)
			}
			got := l.String()
			path := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden (run with -update to create): %v", err)
			}
			if got != string(want) {
				t.Errorf("String() =\n%s\nwant (%s)\n%s", got, path, want)
			}
		})
	}
}
