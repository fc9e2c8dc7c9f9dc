package prefilter

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/google/nftables"
	"go4.org/netipx"

	"github.com/tagwall/tagwall/internal/allowlist"
)

// Action is what the kernel does with a SYN from outside the sets.
type Action uint8

const (
	// Drop discards the SYN: the client retries and times out, and learns
	// nothing (the default).
	Drop Action = iota
	// Reject answers the SYN with a TCP reset: the client fails at once.
	Reject
)

// Config configures a Filter.
type Config struct {
	// Port is the front door's TCP port. Required.
	Port uint16
	// Table names the nftables table (family inet); default "tagwall".
	Table string
	// Action is applied to SYNs from outside the admitted union.
	Action Action
	// Debounce is how long Sync waits for more changes before it writes
	// the sets; default 20 ms.
	Debounce time.Duration
	// OnError, when set, is told about a failed asynchronous update; the
	// sets then keep their previous contents.
	OnError func(error)
}

// ErrNotPermitted is returned (wrapped) by New when the process may not
// change nftables: it lacks CAP_NET_ADMIN.
var ErrNotPermitted = errors.New("changing nftables needs CAP_NET_ADMIN (run as root or grant the capability); running without the kernel prefilter")

// Filter is a live nftables prefilter. Create it with New.
type Filter struct {
	cfg    Config
	conn   *nftables.Conn
	table  *nftables.Table
	set4   *nftables.Set
	set6   *nftables.Set
	kick   chan struct{}
	done   chan struct{}
	closed sync.Once

	mu      sync.Mutex
	pending []netip.Prefix // the latest Sync not yet written
	dirty   bool
	applyMu sync.Mutex // serialises writes to the kernel
}

// New creates the table, its sets holding prefixes, and the rules, in one
// transaction. A table of the same name left by an earlier process is
// replaced.
func New(cfg Config, prefixes []netip.Prefix) (*Filter, error) {
	if cfg.Port == 0 {
		return nil, errors.New("prefilter: no port")
	}
	if cfg.Table == "" {
		cfg.Table = "tagwall"
	}
	if cfg.Debounce <= 0 {
		cfg.Debounce = 20 * time.Millisecond
	}
	c, err := nftables.New()
	if err != nil {
		return nil, wrapPerm(fmt.Errorf("prefilter: open netlink: %w", err))
	}
	f := &Filter{cfg: cfg, conn: c, kick: make(chan struct{}, 1), done: make(chan struct{})}
	r4, r6, err := ranges(prefixes)
	if err != nil {
		return nil, err
	}
	if err := f.create(r4, r6); err != nil {
		return nil, wrapPerm(fmt.Errorf("prefilter: create nftables table %q: %w", cfg.Table, err))
	}
	go f.loop()
	return f, nil
}

// wrapPerm adds ErrNotPermitted to a permission error.
func wrapPerm(err error) error {
	if errors.Is(err, os.ErrPermission) {
		return fmt.Errorf("%w: %w", err, ErrNotPermitted)
	}
	return err
}

// Sync makes the sets hold exactly prefixes (the union of every route's
// list; pass 0.0.0.0/0 and ::/0 for a route that admits everyone). It
// returns at once; the change is written within Config.Debounce, together
// with any later Sync in that time.
func (f *Filter) Sync(prefixes []netip.Prefix) {
	f.mu.Lock()
	f.pending, f.dirty = prefixes, true
	f.mu.Unlock()
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// Flush writes a pending Sync now and reports its error.
func (f *Filter) Flush() error {
	f.mu.Lock()
	ps, dirty := f.pending, f.dirty
	f.pending, f.dirty = nil, false
	f.mu.Unlock()
	if !dirty {
		return nil
	}
	r4, r6, err := ranges(ps)
	if err != nil {
		return err
	}
	f.applyMu.Lock()
	defer f.applyMu.Unlock()
	if err := f.replace(r4, r6); err != nil {
		return fmt.Errorf("prefilter: update sets of table %q: %w", f.cfg.Table, err)
	}
	return nil
}

// loop applies Syncs, Debounce after the first of a burst.
func (f *Filter) loop() {
	for {
		select {
		case <-f.done:
			return
		case <-f.kick:
		}
		select {
		case <-f.done:
			return
		case <-time.After(f.cfg.Debounce):
		}
		if err := f.Flush(); err != nil && f.cfg.OnError != nil {
			f.cfg.OnError(err)
		}
	}
}

// Close stops updates and removes the table. It is safe to call twice.
func (f *Filter) Close() error {
	var err error
	f.closed.Do(func() {
		close(f.done)
		f.applyMu.Lock()
		defer f.applyMu.Unlock()
		f.conn.DelTable(f.table)
		if e := f.conn.Flush(); e != nil {
			err = fmt.Errorf("prefilter: remove nftables table %q: %w", f.cfg.Table, e)
		}
	})
	return err
}

// ranges merges prefixes into sorted, disjoint IPv4 and IPv6 ranges.
// IPv4-mapped IPv6 prefixes count as the IPv4 prefixes they map.
func ranges(prefixes []netip.Prefix) (v4, v6 []netipx.IPRange, err error) {
	var b netipx.IPSetBuilder
	for _, p := range prefixes {
		if !p.IsValid() {
			return nil, nil, fmt.Errorf("prefilter: invalid prefix %q", p.String())
		}
		b.AddPrefix(allowlist.UnmapPrefix(p).Masked())
	}
	s, err := b.IPSet()
	if err != nil {
		return nil, nil, fmt.Errorf("prefilter: merge prefixes: %w", err)
	}
	for _, r := range s.Ranges() {
		if r.From().Is4() {
			v4 = append(v4, r)
		} else {
			v6 = append(v6, r)
		}
	}
	return v4, v6, nil
}
