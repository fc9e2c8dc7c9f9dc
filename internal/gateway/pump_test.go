package gateway

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"testing"
)

// tcpPair returns the two ends of a loopback TCP connection.
func tcpPair(t *testing.T) (a, b *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	acc := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		acc <- c
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s := <-acc
	if s == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// TestPump sends sizes around the read/write → splice switch through
// pump and checks every byte and the count; io.Copy is the reference.
func TestPump(t *testing.T) {
	tests := []struct {
		name string
		size int
	}{
		{"empty", 0},
		{"one byte", 1},
		{"one buffer", copyBufSize},
		{"just below the switch", spliceAfter - 1},
		{"at the switch", spliceAfter},
		{"just above the switch", spliceAfter + 1},
		{"bulk", 3<<20 + 17},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := make([]byte, tt.size)
			for i := range data {
				data[i] = byte(rand.IntN(256))
			}
			srcW, src := tcpPair(t) // test writes srcW → pump reads src
			dst, dstR := tcpPair(t) // pump writes dst → test reads dstR
			type result struct {
				n   int64
				err error
			}
			done := make(chan result, 1)
			go func() {
				n, err := pump(dst, src)
				dst.CloseWrite()
				done <- result{n, err}
			}()
			go func() {
				srcW.Write(data)
				srcW.CloseWrite()
			}()
			got, err := io.ReadAll(dstR)
			if err != nil {
				t.Fatal(err)
			}
			r := <-done
			if r.err != nil || r.n != int64(tt.size) {
				t.Errorf("pump = %d, %v; want %d, nil", r.n, r.err, tt.size)
			}
			if !bytes.Equal(got, data) {
				t.Errorf("received %d bytes that differ from the %d sent", len(got), len(data))
			}
		})
	}
}

// TestPumpClosed checks that closing the source ends pump with an error
// while it waits for data, as a revocation does.
func TestPumpClosed(t *testing.T) {
	_, src := tcpPair(t)
	dst, _ := tcpPair(t)
	done := make(chan error, 1)
	go func() {
		_, err := pump(dst, src)
		done <- err
	}()
	src.Close()
	if err := <-done; err == nil {
		t.Error("pump on a closed source returned nil, want an error")
	}
}
