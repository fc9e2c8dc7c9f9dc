package main

import (
	"bytes"
	"sync"
	"testing"
	"time"
)

// blockingWriter blocks every Write until release is closed.
type blockingWriter struct {
	release chan struct{}
	mu      sync.Mutex
	buf     bytes.Buffer
}

func (w *blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func TestLogQueueNeverBlocks(t *testing.T) {
	w := &blockingWriter{release: make(chan struct{})}
	q := newLogQueue(w)
	start := time.Now()
	for range 3 * maxLogQueue {
		q.Write([]byte("{\"msg\":\"x\"}\n"))
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("%d writes into a stalled sink took %s", 3*maxLogQueue, d)
	}
	if n := q.dropped.Load(); n < maxLogQueue {
		t.Errorf("dropped %d lines, want at least %d", n, maxLogQueue)
	}
	if q.drain(50 * time.Millisecond) {
		t.Error("drain reported done with the sink stalled")
	}
	close(w.release)
	if !q.drain(5 * time.Second) {
		t.Fatal("drain did not finish once the sink took lines")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if lines := bytes.Count(w.buf.Bytes(), []byte("\n")); lines < maxLogQueue {
		t.Errorf("%d lines written, want at least %d", lines, maxLogQueue)
	}
}
