package boltstore

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// DefaultQuickCheckAbove is the file size above which Open checks only the
// meta pages, the freelist and the bucket root pages (quick mode) instead
// of every page (WithQuickCheckAbove changes it). A full check of a 48 MiB
// file takes 49–51 ms on 2 quiet cores (0.25–0.36 s busy), quick mode
// 3.7–3.8 ms (BenchmarkCheck); `tagwall store check` checks in full unless told.
const DefaultQuickCheckAbove = 64 << 20

// ErrCorrupt is returned by Open and Check when the file is damaged:
// truncated, garbled, zero bytes long, or not a tagwall store. The error
// is a *CorruptError listing what was found.
var ErrCorrupt = errors.New("store file is damaged")

// CorruptError is a damaged store file and every problem found in it.
type CorruptError struct {
	Path     string
	Problems []string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("store file %s is damaged: %s. Run `tagwall store check --file %s` "+
		"to list the damage, then restore the file from a backup (made with `tagwall store backup`) or move it "+
		"aside to start empty", e.Path, strings.Join(e.Problems, "; "), e.Path)
}

// Is makes errors.Is(err, ErrCorrupt) true.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Report is what Check found in a store file that is usable.
type Report struct {
	Path     string
	Quick    bool     // only meta, freelist and bucket root pages were checked
	Pages    int      // pages read by the structural check
	InUse    uint64   // the high-water mark: pages [0, InUse) hold data or are free
	Size     int64    // bytes
	Revision int64    // the store's revision
	Keys     int      // records in "kv"
	Notes    []string // recoverable findings, e.g. an invalid spare meta page
}

// CheckOption configures Check.
type CheckOption func(*checkOptions)

type checkOptions struct {
	quick   bool
	timeout time.Duration
}

func newCheckOptions(opts []CheckOption) checkOptions {
	o := checkOptions{timeout: time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// CheckQuick checks only the meta pages, the freelist and the bucket root
// pages, as Open does on files above DefaultQuickCheckAbove.
func CheckQuick() CheckOption { return func(o *checkOptions) { o.quick = true } }

// CheckTimeout bounds the wait for another process's lock (default 1s).
func CheckTimeout(d time.Duration) CheckOption { return func(o *checkOptions) { o.timeout = d } }

// Check verifies the store file at path without writing to it: the page
// structure (read with ordinary reads, so damage cannot fault the
// process), then bbolt's own consistency check (Tx.Check) and every
// record's encoding (full mode only). It returns a Report when the file is
// usable, a *CorruptError (ErrCorrupt) listing the problems, an
// *InUseError (ErrInUse) when a running server holds the file, or another
// error when the file cannot be read.
func Check(path string, opts ...CheckOption) (Report, error) {
	o := newCheckOptions(opts)
	lk, err := lockFile(path, false, o.timeout)
	if err != nil {
		return Report{}, wrapOpen("check store", path, err)
	}
	defer lk.release()
	rep, err := verifyLocked(lk.f, path, o.quick, false)
	if err != nil {
		return rep, err // a *CorruptError names the file and the damage
	}
	db, err := openGuarded(path, &bolt.Options{ReadOnly: true, Timeout: o.timeout})
	if err != nil {
		return rep, wrapOpen("check store", path, err)
	}
	defer db.Close()
	return rep, deepCheck(db, path, o.quick, &rep)
}

// wrapOpen names the operation on errors that do not name the file
// themselves (*CorruptError and *InUseError do).
func wrapOpen(op, path string, err error) error {
	var ce *CorruptError
	var iu *InUseError
	if err == nil || errors.As(err, &ce) || errors.As(err, &iu) {
		return err
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}

// verifyLocked runs the structural check on f, which the caller has
// locked. An empty file is a problem unless allowEmpty.
func verifyLocked(f *os.File, path string, quick, allowEmpty bool) (Report, error) {
	fi, err := f.Stat()
	if err != nil {
		return Report{}, err
	}
	rep := Report{Path: path, Quick: quick, Size: fi.Size()}
	if fi.Size() == 0 && allowEmpty {
		return rep, nil
	}
	v := &verifier{f: f, size: fi.Size(), quick: quick, seen: map[uint64]bool{}, freed: map[uint64]bool{}}
	v.run()
	rep.Pages, rep.InUse, rep.Notes = v.pages, v.m.hwm, v.notes
	if len(v.problems) > 0 {
		return rep, &CorruptError{Path: path, Problems: v.problems}
	}
	return rep, nil
}

// openGuarded runs bolt.Open with memory faults turned into panics and
// every panic into a *CorruptError: the structural check has already run,
// so this is a second line of defence, not the first.
func openGuarded(path string, bo *bolt.Options) (db *bolt.DB, err error) {
	err = guard(path, "open", func() error {
		var oerr error
		db, oerr = bolt.Open(path, 0o600, bo)
		return oerr
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, lockHolder(path)
	}
	return db, err
}

// guard runs fn on this goroutine with faults in bbolt's memory map
// reported as panics (debug.SetPanicOnFault) and recovers them.
func guard(path, op string, fn func() error) (err error) {
	old := debug.SetPanicOnFault(true)
	defer debug.SetPanicOnFault(old)
	defer func() {
		if r := recover(); r != nil {
			err = &CorruptError{Path: path, Problems: []string{fmt.Sprintf("bbolt %s: %v", op, r)}}
		}
	}()
	return fn()
}

// deepCheck runs bbolt's Tx.Check (full mode) and checks the buckets and
// records tagwall wrote.
func deepCheck(db *bolt.DB, path string, quick bool, rep *Report) error {
	var problems []string
	err := guard(path, "check", func() error {
		return db.View(func(tx *bolt.Tx) error {
			if !quick {
				for err := range tx.Check() {
					if len(problems) < maxProblems {
						problems = append(problems, err.Error())
					}
				}
			}
			if len(problems) == 0 {
				problems = append(problems, checkBuckets(tx, quick, rep)...)
			}
			return nil
		})
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return &CorruptError{Path: path, Problems: problems}
	}
	return nil
}

// checkBuckets reports a file that is not a tagwall store (missing or
// unknown top-level buckets) and, in full mode, records that do not decode.
// A file with no buckets at all is a store whose first commit never
// happened: Open creates them.
func checkBuckets(tx *bolt.Tx, quick bool, rep *Report) []string {
	var problems []string
	var names [][]byte
	_ = tx.ForEach(func(name []byte, _ *bolt.Bucket) error {
		names = append(names, append([]byte{}, name...))
		return nil
	})
	if len(names) == 0 {
		return nil
	}
	for _, want := range [][]byte{bucketMeta, bucketKV, bucketLog} {
		if tx.Bucket(want) == nil {
			problems = append(problems, fmt.Sprintf("bucket %q is missing", want))
		}
	}
	for _, n := range names {
		if !bytes.Equal(n, bucketMeta) && !bytes.Equal(n, bucketKV) && !bytes.Equal(n, bucketLog) {
			problems = append(problems, fmt.Sprintf("unknown bucket %q (not a tagwall store?)", n))
		}
	}
	if len(problems) > 0 {
		return problems
	}
	rep.Revision = getInt(tx.Bucket(bucketMeta), metaRevision)
	rep.Keys = tx.Bucket(bucketKV).Stats().KeyN
	if quick {
		return nil
	}
	return checkRecords(tx, rep.Revision)
}

// checkRecords decodes every "kv" and "log" record.
func checkRecords(tx *bolt.Tx, revision int64) []string {
	var problems []string
	add := func(err error) {
		if len(problems) < maxProblems {
			problems = append(problems, err.Error())
		}
	}
	_ = tx.Bucket(bucketKV).ForEach(func(k, v []byte) error {
		kv, err := decodeValue(k, v)
		if err != nil {
			add(err)
		} else if kv.ModRevision > revision || kv.CreateRevision > kv.ModRevision {
			add(fmt.Errorf("key %q: revisions %d/%d after the store's %d", k, kv.CreateRevision, kv.ModRevision, revision))
		}
		return nil
	})
	_ = tx.Bucket(bucketLog).ForEach(func(k, v []byte) error {
		if len(k) != 8 {
			add(fmt.Errorf("log key %x: %w", k, errCorrupt))
			return nil
		}
		rev := int64(binary.BigEndian.Uint64(k))
		if _, _, err := decodeEvent(rev, v, ""); err != nil {
			add(err)
		} else if rev > revision {
			add(fmt.Errorf("log record %d after the store's revision %d", rev, revision))
		}
		return nil
	})
	return problems
}
