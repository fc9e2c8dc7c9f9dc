package boltstore

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ErrInUse is returned by Open, Check and Backup when another process
// holds the store file's lock (another `tagwall serve` on the same data
// dir). The error is an *InUseError.
var ErrInUse = errors.New("store file in use by another process")

// InUseError says which file is locked and, when it can be found, by
// which process. PID is 0 when unknown.
type InUseError struct {
	Path string
	PID  int    // the lock holder, from /proc/locks or the pid file; 0 if unknown
	Comm string // the holder's command name (Linux), "" if unknown
}

func (e *InUseError) Error() string {
	who := "another tagwall process"
	if e.Comm != "" && !strings.Contains(e.Comm, "tagwall") {
		who = "another process (" + e.Comm + ")"
	}
	if e.PID > 0 {
		who += fmt.Sprintf(" (pid %d)", e.PID)
	}
	return fmt.Sprintf("data dir %s is in use by %s: it holds the lock on %s; stop it, or give this one another --data-dir",
		filepath.Dir(e.Path), who, e.Path)
}

// Is makes errors.Is(err, ErrInUse) true.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// pidFile is written beside the store while Open holds the lock, for
// systems without /proc/locks.
func pidFile(path string) string { return path + ".pid" }

// fileLock is an advisory flock on its own descriptor, taken by Open
// before bbolt's so that the file can be checked by reads nobody else's
// writes race with. flock locks belong to the open file description, so
// the lock must be released before bbolt takes its own.
type fileLock struct{ f *os.File }

// lockFile opens path read-only and locks it (exclusive or shared),
// retrying for timeout; a lock still held then gives an *InUseError.
func lockFile(path string, exclusive bool, timeout time.Duration) (*fileLock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	deadline := time.Now().Add(timeout)
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return &fileLock{f: f}, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			_ = f.Close()
			return nil, fmt.Errorf("lock: %w", err)
		}
		if time.Now().After(deadline) {
			e := lockHolder(path)
			_ = f.Close()
			return nil, e
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// release unlocks and closes the descriptor.
func (l *fileLock) release() {
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
}

// lockHolder names the process holding path's lock: /proc/locks (Linux)
// matched by device and inode, else the pid file.
func lockHolder(path string) *InUseError {
	e := &InUseError{Path: path}
	if pid := procLocksHolder(path); pid > 0 {
		e.PID = pid
	} else if b, err := os.ReadFile(pidFile(path)); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && pid > 0 {
			e.PID = pid
		}
	}
	if e.PID > 0 {
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", e.PID)); err == nil {
			e.Comm = strings.TrimSpace(string(b))
		}
	}
	return e
}

// procLocksHolder returns the pid of the first /proc/locks entry (a line
// like "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF") on path's
// inode, or 0.
func procLocksHolder(path string) int {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0
	}
	f, err := os.Open("/proc/locks")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] == "->" { // "->" marks a waiter, not a holder
			continue
		}
		id := strings.Split(fields[5], ":")
		if len(id) != 3 {
			continue
		}
		ino, err := strconv.ParseUint(id[2], 10, 64)
		if err != nil || ino != st.Ino {
			continue
		}
		maj, err1 := strconv.ParseUint(id[0], 16, 32)
		minor, err2 := strconv.ParseUint(id[1], 16, 32)
		if err1 == nil && err2 == nil && (maj != devMajor(uint64(st.Dev)) || minor != devMinor(uint64(st.Dev))) {
			continue
		}
		if pid, err := strconv.Atoi(fields[4]); err == nil && pid > 0 {
			return pid
		}
	}
	return 0
}

// devMajor and devMinor split a Linux dev_t (glibc's encoding).
func devMajor(dev uint64) uint64 { return (dev>>8)&0xfff | (dev>>32)&^0xfff }
func devMinor(dev uint64) uint64 { return dev&0xff | (dev>>12)&^0xff }

// writePidFile records this process as the lock holder; best effort.
func writePidFile(path string) {
	_ = os.WriteFile(pidFile(path), []byte(strconv.Itoa(os.Getpid())+"\n"), 0o600)
}

// removePidFile removes the pid file if it still names this process.
func removePidFile(path string) {
	b, err := os.ReadFile(pidFile(path))
	if err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(os.Getpid()) {
		_ = os.Remove(pidFile(path))
	}
}
