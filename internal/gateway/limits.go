package gateway

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// RaiseFDLimit raises the process's RLIMIT_NOFILE soft limit to its hard
// limit and returns the limits in force afterwards. Call it once at start,
// before New, so the default caps (see Config.MaxConns) are derived from
// the raised limit. An error leaves the limit unchanged.
func RaiseFDLimit() (soft, hard uint64, err error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, 0, fmt.Errorf("raise fd limit: getrlimit: %w", err)
	}
	if rl.Cur < rl.Max {
		want := rl
		want.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			return rl.Cur, rl.Max, fmt.Errorf("raise fd limit from %d to %d: setrlimit: %w", rl.Cur, rl.Max, err)
		}
		rl = want
	}
	return rl.Cur, rl.Max, nil
}

// fdLimit returns the RLIMIT_NOFILE soft limit, or 1024 when it cannot be
// read.
func fdLimit() uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur == 0 {
		return 1024
	}
	return rl.Cur
}

// Caps on what the defaults derived from the fd limit may reach, so that a
// process with a huge fd limit still has bounded goroutines and memory.
const (
	maxDefaultConns     = 1 << 16
	maxDefaultUndecided = 1 << 14
)

// defaultLimits derives the connection caps from an fd limit:
//
//	reserve   = max(64, fds/8)        // listeners, API, metrics, files, logs
//	conns     = max(16, (fds-reserve)/2), at most 65536
//	                                  // an admitted connection holds two fds
//	undecided = max(8, conns/2), at most 16384
//	perSource = max(4, undecided/16)
//
// With fds = 4096: 1792, 896 and 56; with 20000: 8750, 4375 and 273.
func defaultLimits(fds uint64) (conns, undecided, perSource int) {
	conns = defaultConns(fds)
	undecided = defaultUndecided(conns)
	return conns, undecided, defaultPerSource(undecided)
}

func defaultConns(fds uint64) int {
	if fds > 1<<30 {
		fds = 1 << 30
	}
	f := int(fds)
	reserve := max(64, f/8)
	return min(max(16, (f-reserve)/2), maxDefaultConns)
}

func defaultUndecided(conns int) int { return min(max(8, conns/2), maxDefaultUndecided) }

func defaultPerSource(undecided int) int { return max(4, undecided/16) }

// frontDoor enforces the connection caps: live connections (MaxConns),
// undecided connections (MaxUndecided, the oldest dropped to make room,
// preferring one that has sent nothing: see pickVictimLocked)
// and undecided connections per source (MaxUndecidedPerSource). The
// per-source map holds only sources with an undecided connection, so it
// never has more than MaxUndecided entries.
type frontDoor struct {
	maxConns, maxUndecided, maxPerSource int

	live atomic.Int64 // accepted and not yet ended

	mu        sync.Mutex
	head      *liveConn // oldest undecided
	tail      *liveConn // newest undecided
	undecided int
	perSource map[netip.Addr]int32
}

func (f *frontDoor) init(conns, undecided, perSource int) {
	f.maxConns, f.maxUndecided, f.maxPerSource = conns, undecided, perSource
	f.perSource = make(map[netip.Addr]int32)
}

// undecidedCount returns the connections not yet decided.
func (f *frontDoor) undecidedCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.undecided
}

// sourceKey is the per-source key of a client address: the address for
// IPv4, its /64 for IPv6 (one site holds a whole /64, so counting single
// v6 addresses would bound nothing).
func sourceKey(a netip.Addr) netip.Addr {
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.Addr()
	}
	return a
}

// enter makes lc undecided, counted against src when src is valid. It
// reports false (and changes nothing) when src is at its per-source cap.
// When the undecided set is full its oldest member is removed, marked
// evicted and returned: the caller closes it.
func (f *frontDoor) enter(lc *liveConn, src netip.Addr) (ok bool, victim *liveConn) {
	if src.IsValid() {
		src = sourceKey(src)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if src.IsValid() && int(f.perSource[src]) >= f.maxPerSource {
		return false, nil
	}
	if f.undecided >= f.maxUndecided && f.head != nil {
		victim = f.pickVictimLocked()
		f.unlinkLocked(victim)
		victim.evicted = true
	}
	lc.prev, lc.next = f.tail, nil
	if f.tail != nil {
		f.tail.next = lc
	} else {
		f.head = lc
	}
	f.tail = lc
	lc.undecided = true
	f.undecided++
	if src.IsValid() {
		f.perSource[src]++
		lc.src = src
	}
	return true, victim
}

// evictScan is how many of the oldest undecided connections pickVictim
// looks at.
const evictScan = 8

// pickVictimLocked returns the undecided connection to drop: the oldest of
// the evictScan oldest that has sent nothing yet (no byte read, none
// waiting in its socket), else the oldest. A client whose ClientHello is
// already on its way is not dropped for an idle socket a moment younger.
func (f *frontDoor) pickVictimLocked() *liveConn {
	lc := f.head
	for range evictScan {
		if lc == nil {
			break
		}
		if !lc.progress.Load() && socketEmpty(lc.client) {
			return lc
		}
		lc = lc.next
	}
	return f.head
}

// socketEmpty reports whether c has no bytes waiting to be read (FIONREAD
// is 0). Errors count as empty.
func socketEmpty(c *net.TCPConn) bool {
	rc, err := c.SyscallConn()
	if err != nil {
		return true
	}
	n := 0
	rc.Control(func(fd uintptr) {
		n, _ = unix.IoctlGetInt(int(fd), unix.SIOCINQ)
	})
	return n == 0
}

// claim counts the undecided lc against src (a trusted peer's claimed
// client, known once its PROXY header is read). It reports false when src
// is at its cap or lc is no longer undecided.
func (f *frontDoor) claim(lc *liveConn, src netip.Addr) bool {
	if src.IsValid() {
		src = sourceKey(src)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !lc.undecided || lc.src.IsValid() || !src.IsValid() {
		return lc.undecided
	}
	if int(f.perSource[src]) >= f.maxPerSource {
		return false
	}
	f.perSource[src]++
	lc.src = src
	return true
}

// leave ends lc's undecided state and reports whether it was evicted
// (dropped to make room) before.
func (f *frontDoor) leave(lc *liveConn) (evicted bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if lc.undecided {
		f.unlinkLocked(lc)
	}
	return lc.evicted
}

// unlinkLocked removes lc from the undecided list and its source count.
func (f *frontDoor) unlinkLocked(lc *liveConn) {
	if lc.prev != nil {
		lc.prev.next = lc.next
	} else {
		f.head = lc.next
	}
	if lc.next != nil {
		lc.next.prev = lc.prev
	} else {
		f.tail = lc.prev
	}
	lc.prev, lc.next, lc.undecided = nil, nil, false
	f.undecided--
	if lc.src.IsValid() {
		if n := f.perSource[lc.src] - 1; n > 0 {
			f.perSource[lc.src] = n
		} else {
			delete(f.perSource, lc.src)
		}
		lc.src = netip.Addr{}
	}
}
