package standin

import (
	"errors"
	"net"
	"sync"
)

// Lazy is one cluster's stand-in that is made at the cluster's first
// connection: until then it costs this struct and nothing else (no
// certificate, no goroutine, no file descriptor). It is a
// gateway.ConnHandler.
type Lazy struct {
	f *Fleet
	c Cluster

	mu     sync.Mutex
	srv    *Server
	closed bool
}

// errLazyClosed is returned for a connection to a removed cluster.
var errLazyClosed = errors.New("stand-in api server removed")

// Lazy returns the cluster's lazy stand-in, registering it: the same
// handle for the same Cluster, a new one (the old one closed) when its
// FQDN or version changed. After Close it returns a handle that closes
// every connection.
func (f *Fleet) Lazy(c Cluster) *Lazy {
	f.mu.Lock()
	defer f.mu.Unlock()
	if l, ok := f.lazies[c.ID]; ok {
		if l.c == c {
			return l
		}
		go l.close() // its connections end; do not wait for them here
	}
	l := &Lazy{f: f, c: c, closed: f.closed}
	if !f.closed {
		f.lazies[c.ID] = l
	}
	return l
}

// Remove closes and forgets the cluster's lazy stand-in, if any.
func (f *Fleet) Remove(id string) {
	f.mu.Lock()
	l, ok := f.lazies[id]
	delete(f.lazies, id)
	f.mu.Unlock()
	if ok {
		l.close()
	}
}

// Retain removes the lazy stand-ins of the clusters not in keep.
func (f *Fleet) Retain(keep map[string]struct{}) {
	f.mu.Lock()
	var gone []*Lazy
	for id, l := range f.lazies {
		if _, ok := keep[id]; !ok {
			gone = append(gone, l)
			delete(f.lazies, id)
		}
	}
	f.mu.Unlock()
	for _, l := range gone {
		l.close()
	}
}

// Started returns the number of stand-ins whose server runs (made by Sync
// or by a first connection).
func (f *Fleet) Started() int {
	f.mu.Lock()
	lazies := make([]*Lazy, 0, len(f.lazies))
	for _, l := range f.lazies {
		lazies = append(lazies, l)
	}
	n := len(f.servers)
	f.mu.Unlock()
	for _, l := range lazies {
		l.mu.Lock()
		if l.srv != nil {
			n++
		}
		l.mu.Unlock()
	}
	return n
}

// OnError sets the function told when a lazy stand-in cannot be made (its
// connection is closed). Set it before the first connection.
func (f *Fleet) OnError(fn func(Cluster, error)) { f.onError = fn }

// ServeConn serves c with the cluster's server, making it first if
// needed; when that fails, or the stand-in was removed, it closes c.
func (l *Lazy) ServeConn(c net.Conn) {
	srv, err := l.server()
	if err != nil {
		c.Close()
		if l.f.onError != nil && !errors.Is(err, errLazyClosed) {
			l.f.onError(l.c, err)
		}
		return
	}
	srv.ServeConn(c)
}

// Cluster returns the cluster the stand-in serves.
func (l *Lazy) Cluster() Cluster { return l.c }

func (l *Lazy) server() (*Server, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, errLazyClosed
	}
	if l.srv == nil {
		srv, err := l.f.start(l.c)
		if err != nil {
			return nil, err // retried at the next connection
		}
		l.srv = srv
	}
	return l.srv, nil
}

// close stops the server if it was made; later connections are closed.
func (l *Lazy) close() {
	l.mu.Lock()
	l.closed = true
	srv := l.srv
	l.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}
