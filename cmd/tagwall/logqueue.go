package main

import (
	"io"
	"sync/atomic"
	"time"
)

// logQueue is an io.Writer for a slog handler that never blocks its
// caller: each Write is copied into a queue of at most maxLogQueue lines
// that one goroutine writes to w, and dropped (counted) when the queue is
// full. A sink that stalls (stderr a pipe nobody reads) then costs dropped
// log lines, never a stuck connection, reload or shutdown.
type logQueue struct {
	w       io.Writer
	ch      chan []byte
	pending atomic.Int64 // queued or being written
	dropped atomic.Int64
}

// maxLogQueue bounds the log lines waiting for the sink.
const maxLogQueue = 4096

func newLogQueue(w io.Writer) *logQueue {
	q := &logQueue{w: w, ch: make(chan []byte, maxLogQueue)}
	go q.run()
	return q
}

func (q *logQueue) run() {
	for b := range q.ch {
		q.w.Write(b)
		q.pending.Add(-1)
	}
}

// Write queues a copy of p, or drops it when the queue is full. It always
// reports success: logging must not fail the caller.
func (q *logQueue) Write(p []byte) (int, error) {
	q.pending.Add(1)
	select {
	case q.ch <- append([]byte(nil), p...):
	default:
		q.pending.Add(-1)
		q.dropped.Add(1)
	}
	return len(p), nil
}

// drain waits until the queued lines are written or d passes, and reports
// whether they were.
func (q *logQueue) drain(d time.Duration) bool {
	deadline := time.Now().Add(d)
	for q.pending.Load() > 0 {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}
