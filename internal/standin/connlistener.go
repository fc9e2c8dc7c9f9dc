package standin

import (
	"net"
	"sync"
)

// connListener is a net.Listener fed by push instead of a socket: it lets
// an http.Server serve connections accepted elsewhere. It has no address
// of its own (Addr reports the loopback placeholder pipeAddr).
type connListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newConnListener() *connListener {
	return &connListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// push hands c to Accept. It reports false, without blocking, once the
// listener is closed.
func (l *connListener) push(c net.Conn) bool {
	select {
	case <-l.done:
		return false
	default:
	}
	select {
	case l.conns <- c:
		return true
	case <-l.done:
		return false
	}
}

// Accept returns the next pushed connection, or net.ErrClosed after Close.
func (l *connListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close makes Accept and push fail; it is idempotent.
func (l *connListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr returns a placeholder: the connections come from elsewhere.
func (l *connListener) Addr() net.Addr { return pipeAddr{} }

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "standin" }

// notifyConn closes ended when the connection is closed (by the HTTP
// server, once it is done with it), so ServeConn can return.
type notifyConn struct {
	net.Conn
	once  sync.Once
	ended chan struct{}
}

// Close closes the connection and signals its end once.
func (c *notifyConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { close(c.ended) })
	return err
}

var (
	_ net.Listener = (*connListener)(nil)
	_ net.Conn     = (*notifyConn)(nil)
)
