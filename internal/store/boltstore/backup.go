package boltstore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent copy of the open store to w (bbolt's
// Tx.WriteTo inside one read transaction): safe while the store serves
// reads and writes, which it does not block. It returns the bytes written.
func (s *Store) Backup(w io.Writer) (int64, error) {
	var n int64
	err := s.db.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("back up store %s: %w", s.db.Path(), mapErr(err))
	}
	return n, nil
}

// BackupFile copies the store file at path to out, a file that must not
// exist yet, and returns the report of the copy's own check.
//
// The store must not be open in another process: bbolt's lock is
// exclusive while `tagwall serve` runs, so BackupFile fails after the
// CheckTimeout wait (default 1s) with an *InUseError naming the server;
// stop it first (or have the running server call Store.Backup). The
// source is checked in full first and a damaged one is refused (its
// *CorruptError lists why); copy the raw file with cp to keep it for
// forensics. The copy is written to out+".tmp", fsynced, linked to out
// (never replacing an existing file) and checked in full.
func BackupFile(path, out string, opts ...CheckOption) (Report, error) {
	if _, err := os.Lstat(out); err == nil {
		return Report{}, fmt.Errorf("back up store %s to %s: %w (choose another --out, or remove it)", path, out, os.ErrExist)
	}
	if _, err := Check(path, opts...); err != nil {
		return Report{}, wrapOpen("back up store", path, err)
	}
	o := newCheckOptions(opts)
	db, err := openGuarded(path, &bolt.Options{ReadOnly: true, Timeout: o.timeout})
	if err != nil {
		return Report{}, wrapOpen("back up store", path, err)
	}
	err = writeCopy(db, out)
	_ = db.Close()
	if err != nil {
		return Report{}, fmt.Errorf("back up store %s to %s: %w", path, out, err)
	}
	rep, err := Check(out)
	if err != nil {
		return rep, fmt.Errorf("back up store %s: verify the copy: %w", path, err)
	}
	return rep, nil
}

// writeCopy writes db to out through a temporary file and a hard link, so
// out is either absent or complete and fsynced.
func writeCopy(db *bolt.DB, out string) (err error) {
	tmp := out + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		_ = os.Remove(tmp)
	}()
	err = db.View(func(tx *bolt.Tx) error {
		_, werr := tx.WriteTo(f)
		return werr
	})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Link(tmp, out); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s appeared during the backup: %w", out, err)
		}
		return err
	}
	if d, err := os.Open(filepath.Dir(out)); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
