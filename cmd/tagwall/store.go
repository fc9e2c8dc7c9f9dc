package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/tagwall/tagwall/internal/cli"
	"github.com/tagwall/tagwall/internal/datadir"
	"github.com/tagwall/tagwall/internal/server"
	"github.com/tagwall/tagwall/internal/store/boltstore"
)

func newStoreCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Check or back up the bbolt store of a data dir",
		Long: `Check or back up the bbolt store (tagwall.db) of a tagwall serve data dir.

Both commands need the file to themselves: while tagwall serve runs on the
data dir it holds bbolt's exclusive lock, and they fail after --timeout
naming the server's pid. Stop the server first.`,
	}
	cmd.AddCommand(newStoreCheckCmd(), newStoreBackupCmd())
	return cmd
}

// storeCheckOptions are the inputs of `tagwall store check`.
type storeCheckOptions struct {
	DataDir string // the data dir; its tagwall.db is checked, and against its identity
	File    string // a store file instead of a data dir (a backup, a copy)
	Quick   bool   // meta, freelist and bucket roots only
	Timeout time.Duration
}

func newStoreCheckCmd() *cobra.Command {
	var o storeCheckOptions
	cmd := &cobra.Command{
		Use:   "check",
		Short: "Check a store file: OK (exit 0) or every problem found (exit 1)",
		Long: `Check a store file without writing to it: the page structure bbolt relies on,
bbolt's own consistency check and every record tagwall wrote. With --data-dir
(default: serve's), a missing or empty store beside an existing identity is a
problem too. Exit status 0: usable (notes, if any, are printed); 1: damaged,
missing or in use; 2: bad flags.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.DataDir != "" && o.File != "" {
				return usageError(errors.New("give --data-dir or --file, not both"))
			}
			return runStoreCheck(cmd.OutOrStdout(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.DataDir, "data-dir", "", "data dir whose tagwall.db to check (default: serve's default data dir)")
	fl.StringVar(&o.File, "file", "", "store file to check instead of a data dir's")
	fl.BoolVar(&o.Quick, "quick", false, "check only the meta pages, the freelist and the bucket root pages (what serve does above 64 MiB)")
	fl.DurationVar(&o.Timeout, "timeout", time.Second, "how long to wait for another process's lock on the file")
	return cmd
}

// runStoreCheck checks one store file and prints OK or each problem to w.
// It returns nil when the file is usable, an exit-status-1 error otherwise.
func runStoreCheck(w io.Writer, o storeCheckOptions) error {
	path, dir, err := storeFile(o.DataDir, o.File)
	if err != nil {
		return err
	}
	if dir != "" {
		if err = datadir.CheckStore(dir, false); err != nil {
			fmt.Fprintf(w, "problem: %v\n", err)
			return &cli.ExitError{Code: 1, Err: fmt.Errorf("store check %s: missing or empty beside an identity", path)}
		}
	}
	opts := []boltstore.CheckOption{boltstore.CheckTimeout(o.Timeout)}
	if o.Quick {
		opts = append(opts, boltstore.CheckQuick())
	}
	rep, err := boltstore.Check(path, opts...)
	var ce *boltstore.CorruptError
	switch {
	case errors.As(err, &ce):
		for _, p := range ce.Problems {
			fmt.Fprintf(w, "problem: %s\n", p)
		}
		return &cli.ExitError{Code: 1, Err: fmt.Errorf("store check %s: damaged (%s): restore it from a backup "+
			"(tagwall store backup) or move it aside to start empty", path, storeProblems(len(ce.Problems)))}
	case err != nil:
		return &cli.ExitError{Code: 1, Err: err} // names the operation and the file
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	mode := "full check: page structure, bbolt consistency, every record"
	if rep.Quick {
		mode = "quick check: meta pages, freelist, bucket root pages"
	}
	fmt.Fprintf(w, "OK: %s: %d bytes, %d pages in use, revision %d, %d keys (%s)\n",
		path, rep.Size, rep.InUse, rep.Revision, rep.Keys, mode)
	return nil
}

// storeBackupOptions are the inputs of `tagwall store backup`.
type storeBackupOptions struct {
	DataDir string
	File    string // a store file instead of a data dir's
	Out     string // must not exist
	Timeout time.Duration
}

func newStoreBackupCmd() *cobra.Command {
	var o storeBackupOptions
	cmd := &cobra.Command{
		Use:   "backup --out FILE",
		Short: "Write a checked, consistent copy of a stopped server's store",
		Long: `Copy a data dir's store to --out (which must not exist) in one bbolt read
transaction, fsync it and check the copy. The source is checked first and a
damaged one is refused. The server must be stopped: while tagwall serve runs
it holds the file's lock, and backup fails after --timeout naming its pid.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch {
			case o.Out == "":
				return usageError(errors.New("--out is required"))
			case o.DataDir != "" && o.File != "":
				return usageError(errors.New("give --data-dir or --file, not both"))
			}
			return runStoreBackup(cmd.OutOrStdout(), o)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.DataDir, "data-dir", "", "data dir whose tagwall.db to copy (default: serve's default data dir)")
	fl.StringVar(&o.File, "file", "", "store file to copy instead of a data dir's")
	fl.StringVar(&o.Out, "out", "", "the copy's path (must not exist)")
	fl.DurationVar(&o.Timeout, "timeout", time.Second, "how long to wait for another process's lock on the file")
	return cmd
}

// runStoreBackup copies the store and prints the copy's check to w.
func runStoreBackup(w io.Writer, o storeBackupOptions) error {
	path, _, err := storeFile(o.DataDir, o.File)
	if err != nil {
		return err
	}
	rep, err := boltstore.BackupFile(path, o.Out, boltstore.CheckTimeout(o.Timeout))
	if err != nil {
		return &cli.ExitError{Code: 1, Err: err}
	}
	fmt.Fprintf(w, "backed up %s to %s: %d bytes, revision %d, %d keys (copy checked)\n", path, o.Out, rep.Size, rep.Revision, rep.Keys)
	return nil
}

// storeProblems returns "1 problem", "2 problems".
func storeProblems(n int) string {
	if n == 1 {
		return "1 problem"
	}
	return fmt.Sprintf("%d problems", n)
}

// storeFile returns the store file a store command works on: file when
// given, else the tagwall.db of dataDir (default: serve's default data
// dir), with that dir ("" when file is given).
func storeFile(dataDir, file string) (path, dir string, err error) {
	if file != "" {
		return file, "", nil
	}
	if dataDir == "" {
		if dataDir, err = server.DefaultDataDir(); err != nil {
			return "", "", err
		}
	}
	return filepath.Join(dataDir, datadir.StoreFile), dataDir, nil
}
