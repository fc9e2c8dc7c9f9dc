package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"net"
	"time"
)

// response is the upstream's whole answer to one request.
var response = []byte("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n")

// upstreams is the one TLS server and the one bulk server every contender
// forwards to.
type upstreams struct {
	tlsLn, bulkLn net.Listener
	roots         *x509.CertPool
}

// selfSigned returns an ECDSA P-256 certificate for names and a pool
// trusting it.
func selfSigned(names ...string) (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("generate upstream key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("create upstream certificate: %w", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("parse upstream certificate: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}

// startUpstreams listens on two free loopback ports: a TLS server that
// answers one small HTTP response per connection and closes, and a bulk
// server that reads one TLS record (the ClientHello) and then streams
// zeros until the peer goes away.
func startUpstreams(names ...string) (*upstreams, error) {
	cert, pool, err := selfSigned(names...)
	if err != nil {
		return nil, err
	}
	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen tls upstream: %w", err)
	}
	bl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tl.Close()
		return nil, fmt.Errorf("listen bulk upstream: %w", err)
	}
	u := &upstreams{tlsLn: tl, bulkLn: bl, roots: pool}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13, SessionTicketsDisabled: true}
	go serve(tl, func(c net.Conn) { answer(tls.Server(c, cfg)) })
	go serve(bl, stream)
	return u, nil
}

func (u *upstreams) tlsAddr() string  { return u.tlsLn.Addr().String() }
func (u *upstreams) bulkAddr() string { return u.bulkLn.Addr().String() }

func (u *upstreams) Close() {
	u.tlsLn.Close()
	u.bulkLn.Close()
}

func serve(ln net.Listener, handle func(net.Conn)) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go handle(c)
	}
}

// answer reads one request head and writes the response.
func answer(c *tls.Conn) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReaderSize(c, 512)
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return
		}
		if len(line) <= 2 {
			break
		}
	}
	c.Write(response)
}

// stream skips one TLS record and writes zeros until the write fails.
func stream(c net.Conn) {
	defer c.Close()
	var hdr [5]byte
	if _, err := io.ReadFull(c, hdr[:]); err != nil {
		return
	}
	if _, err := io.CopyN(io.Discard, c, int64(binary.BigEndian.Uint16(hdr[3:]))); err != nil {
		return
	}
	buf := make([]byte, 256<<10)
	for {
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}
