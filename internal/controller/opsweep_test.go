package controller

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
	"github.com/tagwall/tagwall/internal/store"
	"github.com/tagwall/tagwall/internal/store/memstore"
)

func putOp(t *testing.T, st store.Store, op state.Operation) {
	t.Helper()
	b, err := state.Encode(op)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Put(context.Background(), state.OperationKey(op.ID), b); err != nil {
		t.Fatal(err)
	}
}

func exists(t *testing.T, st store.Store, key string) bool {
	t.Helper()
	_, err := st.Get(context.Background(), key)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
	return err == nil
}

// TestSweepOperations: records that ended longer than the retention ago,
// and damaged ones, are deleted; recent, running and end-less ones stay.
func TestSweepOperations(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	st := memstore.New()
	c, err := New(Config{Store: st, Apply: func([]Route) {}, Now: func() time.Time { return now }, OperationRetention: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		op   state.Operation
		raw  string // stored instead of op when set
		kept bool
	}{
		{name: "ended 2h ago", op: state.Operation{Status: arm.StatusSucceeded, StartTime: now.Add(-3 * time.Hour), EndTime: now.Add(-2 * time.Hour)}, kept: false},
		{name: "failed 61m ago", op: state.Operation{Status: arm.StatusFailed, EndTime: now.Add(-61 * time.Minute)}, kept: false},
		{name: "ended 10m ago", op: state.Operation{Status: arm.StatusSucceeded, EndTime: now.Add(-10 * time.Minute)}, kept: true},
		{name: "running for 3h", op: state.Operation{Status: arm.StatusInProgress, StartTime: now.Add(-3 * time.Hour)}, kept: true},
		{name: "ended, no end time", op: state.Operation{Status: arm.StatusSucceeded, StartTime: now.Add(-3 * time.Hour)}, kept: true},
		{name: "damaged", raw: "{not json", kept: false},
	}
	for i, tt := range tests {
		tt.op.ID = "op-" + string(rune('a'+i))
		tests[i] = tt
		if tt.raw != "" {
			if _, err := st.Put(context.Background(), state.OperationKey(tt.op.ID), []byte(tt.raw)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		putOp(t, st, tt.op)
	}
	n, err := c.sweepOperations(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, tt := range tests {
		if !tt.kept {
			want++
		}
		if got := exists(t, st, state.OperationKey(tt.op.ID)); got != tt.kept {
			t.Errorf("%s: kept %v, want %v", tt.name, got, tt.kept)
		}
	}
	if n != want {
		t.Errorf("deleted %d, want %d", n, want)
	}
}

// TestRunSweepsEndedOperations: Run deletes an ended operation's record
// within retention + interval, and a record another replica holds the
// sweep claim for is left to that replica.
func TestRunSweepsEndedOperations(t *testing.T) {
	st := memstore.New()
	c, err := New(Config{Store: st, Apply: func([]Route) {}, OperationRetention: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	putOp(t, st, state.Operation{ID: "done", Status: arm.StatusSucceeded, EndTime: time.Now()})
	putOp(t, st, state.Operation{ID: "running", Status: arm.StatusInProgress, StartTime: time.Now()})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); _ = c.Run(ctx) }()
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); <-stopped }) }
	defer stop()
	deadline := time.Now().Add(3 * time.Second)
	for exists(t, st, state.OperationKey("done")) {
		if time.Now().After(deadline) {
			t.Fatal("the ended operation was not swept within 3 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !exists(t, st, state.OperationKey("running")) {
		t.Fatal("a running operation was swept")
	}

	stop()

	// Another replica holds the claim: nothing is deleted here.
	held := &heldClaims{}
	c2, err := New(Config{Store: st, Apply: func([]Route) {}, OperationRetention: time.Nanosecond, Claims: held})
	if err != nil {
		t.Fatal(err)
	}
	putOp(t, st, state.Operation{ID: "other", Status: arm.StatusSucceeded, EndTime: time.Now().Add(-time.Hour)})
	if n, err := c2.sweepOperations(context.Background()); n != 0 || err != nil || !exists(t, st, state.OperationKey("other")) {
		t.Fatalf("sweep without the claim: deleted %d, err %v", n, err)
	}
}

// heldClaims refuses every claim, as when another replica holds them.
type heldClaims struct{}

func (*heldClaims) Claim(context.Context, string) (bool, error) { return false, nil }
func (*heldClaims) Release(string)                              {}

// TestSweepBoundsEndedOperations: past MaxEndedOperations ended records the
// sweep deletes the oldest ended ones, even within the retention, never a
// running one and never one that ended within the last 5 minutes.
func TestSweepBoundsEndedOperations(t *testing.T) {
	now := time.Date(2026, 12, 5, 12, 0, 0, 0, time.UTC)
	st := memstore.New()
	c, err := New(Config{Store: st, Apply: func([]Route) {}, Now: func() time.Time { return now }, OperationRetention: time.Hour, MaxEndedOperations: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 { // ended 11, 10, 9, 8, 7 and 1 minutes ago: e0 is the oldest
		ago := time.Duration(11-i) * time.Minute
		if i == 5 {
			ago = time.Minute
		}
		putOp(t, st, state.Operation{ID: fmt.Sprint("e", i), Status: arm.StatusSucceeded, EndTime: now.Add(-ago)})
	}
	for i := range 4 {
		putOp(t, st, state.Operation{ID: fmt.Sprint("r", i), Status: arm.StatusInProgress, StartTime: now.Add(-2 * time.Hour)})
	}
	n, err := c.sweepOperations(context.Background())
	if err != nil || n != 3 {
		t.Fatalf("deleted %d (%v), want the 3 oldest ended", n, err)
	}
	for i := range 6 {
		if got, want := exists(t, st, state.OperationKey(fmt.Sprint("e", i))), i >= 3; got != want {
			t.Errorf("e%d: kept %v, want %v", i, got, want)
		}
	}
	for i := range 4 {
		if !exists(t, st, state.OperationKey(fmt.Sprint("r", i))) {
			t.Errorf("running r%d deleted", i)
		}
	}
	// Past the bound again, but what is left ended within 5 minutes: kept.
	c.cfg.MaxEndedOperations = 1
	if n, err := c.sweepOperations(context.Background()); err != nil || n != 2 {
		t.Fatalf("bound 1: deleted %d (%v), want e3 and e4 but not e5, which ended a minute ago", n, err)
	}
	if !exists(t, st, state.OperationKey("e5")) {
		t.Fatal("an operation that ended a minute ago was deleted by the bound")
	}
	// Negative: only the retention bounds them.
	c.cfg.MaxEndedOperations = -1
	putOp(t, st, state.Operation{ID: "e9", Status: arm.StatusSucceeded, EndTime: now})
	if n, err := c.sweepOperations(context.Background()); err != nil || n != 0 {
		t.Fatalf("unbounded: deleted %d (%v)", n, err)
	}
}
