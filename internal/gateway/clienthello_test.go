package gateway

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// clientHelloBytes returns the first flight a crypto/tls client writes for
// serverName: one handshake record holding its ClientHello.
func clientHelloBytes(tb testing.TB, serverName string) []byte {
	tb.Helper()
	c1, c2 := net.Pipe()
	defer c1.Close()
	go func() {
		cfg := &tls.Config{ServerName: serverName, InsecureSkipVerify: serverName == ""}
		tls.Client(c2, cfg).Handshake()
		c2.Close()
	}()
	c1.SetReadDeadline(time.Now().Add(5 * time.Second))
	hdr := make([]byte, recordHeaderLen)
	if _, err := io.ReadFull(c1, hdr); err != nil {
		tb.Fatalf("read clienthello record header: %v", err)
	}
	body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(c1, body); err != nil {
		tb.Fatalf("read clienthello record: %v", err)
	}
	return append(hdr, body...)
}

// splitRecords re-frames the handshake payload of one record into records
// of at most size bytes each.
func splitRecords(rec []byte, size int) []byte {
	payload := rec[recordHeaderLen:]
	var out []byte
	for len(payload) > 0 {
		n := min(size, len(payload))
		out = append(out, recordTypeHandshake, rec[1], rec[2], byte(n>>8), byte(n))
		out = append(out, payload[:n]...)
		payload = payload[n:]
	}
	return out
}

// parseHello runs the reader over data the way the gateway does.
func parseHello(data []byte) (sni string, n int, err error) {
	br := bufio.NewReaderSize(bytes.NewReader(data), connBufSize)
	var scratch helloScratch
	b, n, err := readClientHello(br, &scratch)
	return string(b), n, err
}

// tlsServerName is the slow reference: the name crypto/tls's server sees
// for data, and whether crypto/tls parsed a ClientHello at all.
func tlsServerName(data []byte) (name string, ok bool) {
	c1, c2 := net.Pipe()
	go func() {
		c2.Write(data)
		c2.Close()
	}()
	go io.Copy(io.Discard, c2)
	stop := errors.New("stop")
	srv := tls.Server(c1, &tls.Config{GetConfigForClient: func(chi *tls.ClientHelloInfo) (*tls.Config, error) {
		name, ok = chi.ServerName, true
		return nil, stop
	}})
	c1.SetDeadline(time.Now().Add(5 * time.Second))
	srv.Handshake()
	c1.Close()
	return name, ok
}

func TestReadClientHello(t *testing.T) {
	real := clientHelloBytes(t, "api.prod.example.test")
	tests := []struct {
		name    string
		data    []byte
		want    string
		wantErr bool
	}{
		{name: "one record", data: real, want: "api.prod.example.test"},
		{name: "upper case kept as sent", data: clientHelloBytes(t, "API.Example.TEST"), want: "API.Example.TEST"},
		{name: "no sni", data: clientHelloBytes(t, ""), want: ""},
		{name: "split in 100-byte records", data: splitRecords(real, 100), want: "api.prod.example.test"},
		{name: "split in 1-byte records", data: splitRecords(real, 1), want: "api.prod.example.test"},
		{name: "trailing application bytes", data: append(append([]byte{}, real...), "GET /"...), want: "api.prod.example.test"},
		{name: "http request", data: []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), wantErr: true},
		{name: "empty", data: nil, wantErr: true},
		{name: "truncated", data: real[:len(real)-1], wantErr: true},
		{name: "zero-length record", data: []byte{0x16, 3, 1, 0, 0}, wantErr: true},
		{name: "oversized record", data: append([]byte{0x16, 3, 1, 0x40, 0x01}, make([]byte, 1<<14+1)...), wantErr: true},
		{name: "not a clienthello", data: []byte{0x16, 3, 1, 0, 4, 2, 0, 0, 0}, wantErr: true},
		{name: "message larger than the cap", data: []byte{0x16, 3, 1, 0, 4, 1, 0x01, 0, 0}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, n, err := parseHello(tt.data)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("readClientHello = %q, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("readClientHello: %v", err)
			}
			if got != tt.want {
				t.Errorf("sni = %q, want %q", got, tt.want)
			}
			if n > len(tt.data) || n < recordHeaderLen {
				t.Errorf("n = %d outside the input (%d bytes)", n, len(tt.data))
			}
			if ref, ok := tlsServerName(tt.data); !ok || ref != tt.want {
				t.Errorf("crypto/tls saw %q (parsed %v), want %q", ref, ok, tt.want)
			}
		})
	}
}

// TestReadClientHelloAllocs checks the single-record path allocates nothing.
func TestReadClientHelloAllocs(t *testing.T) {
	data := clientHelloBytes(t, "api.prod.example.test")
	rd := bytes.NewReader(data)
	br := bufio.NewReaderSize(rd, connBufSize)
	var scratch helloScratch
	allocs := testing.AllocsPerRun(100, func() {
		rd.Reset(data)
		br.Reset(rd)
		if _, _, err := readClientHello(br, &scratch); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("readClientHello allocates %v times per call, want 0", allocs)
	}
}

// capReader counts the bytes read through it.
type capReader struct {
	r    io.Reader
	read int
}

func (c *capReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.read += n
	return n, err
}

func FuzzClientHello(f *testing.F) {
	// Real ClientHellos from crypto/tls clients with assorted names.
	for _, name := range []string{"api.prod.example.test", "", "a", "xn--bcher-kva.example", strings.Repeat("l", 63) + ".example.test", "10.0.0.1.nip.io"} {
		rec := clientHelloBytes(f, name)
		f.Add(rec)                  // one record
		f.Add(splitRecords(rec, 7)) // many small records
		f.Add(rec[:len(rec)/2])     // truncated
	}
	f.Add([]byte("GET / HTTP/1.1\r\n\r\n"))              // plain HTTP
	f.Add([]byte{0x16, 3, 1, 0, 0})                      // empty record
	f.Add([]byte{0x16, 3, 1, 0xff, 0xff, 1, 0xff, 0xff}) // absurd lengths
	f.Fuzz(func(t *testing.T, data []byte) {
		// The reader never asks for more than the cap.
		cr := &capReader{r: bytes.NewReader(data)}
		br := bufio.NewReaderSize(cr, connBufSize)
		var scratch helloScratch
		sni, n, err := readClientHello(br, &scratch)
		if err == nil && (n > MaxClientHelloBytes || n > len(data)) {
			t.Fatalf("n = %d beyond the cap or the input (%d)", n, len(data))
		}
		if cr.read > connBufSize {
			t.Fatalf("read %d bytes, more than the %d-byte buffer", cr.read, connBufSize)
		}
		if len(data) > MaxClientHelloBytes || hasAlertRecord(data) {
			return // crypto/tls accepts larger messages and skips warning alerts; the gateway refuses both
		}
		ref, ok := tlsServerName(data)
		if ok && (err != nil || string(sni) != ref) {
			t.Fatalf("crypto/tls saw %q, gateway saw %q (err %v)", ref, sni, err)
		}
	})
}

// hasAlertRecord reports whether the record chain in data holds an alert.
func hasAlertRecord(data []byte) bool {
	for len(data) >= recordHeaderLen {
		if data[0] == 0x15 {
			return true
		}
		n := recordHeaderLen + (int(data[3])<<8 | int(data[4]))
		if n > len(data) {
			return false
		}
		data = data[n:]
	}
	return false
}
