package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/store/boltstore"
)

// helperEnv makes the test binary run the tagwall CLI (TestHelperTagwall)
// with the arguments after "--": a real process, so that a crash, a
// panic or a goroutine dump shows in its exit status and stderr.
const helperEnv = "TAGWALL_TEST_HELPER"

func TestHelperTagwall(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("helper process for the process-level tests")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(run(args, os.Stdout, os.Stderr))
}

// tagwallProcess returns the command running the CLI in a child process.
func tagwallProcess(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{"-test.run=^TestHelperTagwall$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	return cmd
}

// serveArgs are `serve` flags that bind loopback :0 ports, read the
// service tags from the shared test data and write no client config.
func serveArgs(tb testing.TB, dir string) []string {
	return []string{"serve", "--data-dir", dir, "--api-addr", "127.0.0.1:0", "--gateway-addr", "127.0.0.1:0",
		"--metrics-addr", "-", "--no-client-config", "--service-tags", shared(tb, "azure-public-2025-10-13.json")}
}

// storeDir returns a data dir holding a real store with records, an
// admin token and a cluster directory: the shape of a dir that served.
func storeDir(tb testing.TB) (dir, db string) {
	tb.Helper()
	dir = tb.TempDir()
	db = filepath.Join(dir, "tagwall.db")
	s, err := boltstore.Open(db, boltstore.WithNoSync())
	if err != nil {
		tb.Fatal(err)
	}
	for i := range 300 {
		if _, err := s.Put(context.Background(), fmt.Sprintf("clusters/%04d", i), bytes.Repeat([]byte("v"), 300)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		tb.Fatal(err)
	}
	for _, p := range []string{"token", "clusters/0123abcd/ca.crt"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o700); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte("x\n"), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	return dir, db
}

// garble overwrites 64 bytes at the start of every page from the third on
// (the meta pages stay valid, so bbolt would map the file and trust it).
func garble(tb testing.TB, path string) {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	ps := os.Getpagesize()
	for off := 2 * ps; off+64 <= len(b); off += ps {
		for i := range 64 {
			b[off+i] = byte(off*7 + i*13)
		}
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		tb.Fatal(err)
	}
}

func TestServeRefusesDamagedState(t *testing.T) {
	tests := []struct {
		name   string
		damage func(tb testing.TB, dir, db string)
		want   []string // substrings of stderr
	}{
		{"truncated", func(tb testing.TB, _, db string) { mustTruncate(tb, db, 3*int64(os.Getpagesize())) },
			[]string{"is damaged", "truncated", "tagwall store check", "backup"}},
		{"garbled pages", func(tb testing.TB, _, db string) { garble(tb, db) },
			[]string{"is damaged", "tagwall store check"}},
		{"garbled meta pages", func(tb testing.TB, _, db string) {
			b, _ := os.ReadFile(db)
			copy(b[16:80], bytes.Repeat([]byte{0xAB}, 64))
			copy(b[os.Getpagesize()+16:], bytes.Repeat([]byte{0xCD}, 64))
			_ = os.WriteFile(db, b, 0o600)
		}, []string{"no valid meta page", "tagwall store check"}},
		{"zero bytes beside an identity", func(tb testing.TB, _, db string) { mustTruncate(tb, db, 0) },
			[]string{"is empty (0 bytes)", "token", "clusters/ (1 cluster)", "--allow-empty-store"}},
		{"missing beside an identity", func(tb testing.TB, _, db string) { _ = os.Remove(db) },
			[]string{"is missing", "token", "--allow-empty-store"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, db := storeDir(t)
			tt.damage(t, dir, db)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			var stdout, stderr bytes.Buffer
			cmd := tagwallProcess(ctx, serveArgs(t, dir)...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("serve still running after 30s; stderr:\n%s", stderr.String())
			}
			code := cmd.ProcessState.ExitCode()
			errs := stderr.String()
			if code != 1 {
				t.Errorf("exit %d (%v), want 1; stderr:\n%s", code, err, errs)
			}
			for _, bad := range []string{"goroutine ", "panic", "SIGSEGV", "serve started"} {
				if strings.Contains(errs, bad) {
					t.Errorf("stderr has %q:\n%s", bad, errs)
				}
			}
			t.Logf("stderr: %s", errs)
			for _, w := range append(tt.want, dir) {
				if !strings.Contains(errs, w) {
					t.Errorf("stderr does not say %q:\n%s", w, errs)
				}
			}
		})
	}
}

// TestServeDataDirInUse starts one serve and checks that a second on the
// same data dir fails fast naming the first's pid, and that store
// check/backup refuse to run beside it.
func TestServeDataDirInUse(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	first := startServe(ctx, t, serveArgs(t, dir)...)
	t0 := time.Now()
	second := tagwallProcess(ctx, serveArgs(t, dir)...)
	var stderr bytes.Buffer
	second.Stderr = &stderr
	_ = second.Run()
	want := fmt.Sprintf("data dir %s is in use by another tagwall process (pid %d)", dir, first.Process.Pid)
	if code := second.ProcessState.ExitCode(); code != 1 || !strings.Contains(stderr.String(), want) {
		t.Fatalf("second serve: exit %d, stderr:\n%s\nwant exit 1 and %q", code, stderr.String(), want)
	}
	if d := time.Since(t0); d > 10*time.Second {
		t.Errorf("second serve took %v to fail", d)
	}
	for _, args := range [][]string{
		{"store", "check", "--data-dir", dir, "--timeout", "100ms"},
		{"store", "backup", "--data-dir", dir, "--out", filepath.Join(t.TempDir(), "b.db"), "--timeout", "100ms"},
	} {
		code, _, errs := tagwall(t, args...)
		if code != 1 || !strings.Contains(errs, fmt.Sprintf("(pid %d)", first.Process.Pid)) {
			t.Errorf("%v beside a running serve: exit %d, stderr %q", args, code, errs)
		}
	}
}

// startServe starts `tagwall serve` in a child process and returns once
// it logged "tagwall serve started"; cleanup stops it with SIGTERM.
func startServe(ctx context.Context, tb testing.TB, args ...string) *exec.Cmd {
	tb.Helper()
	cmd := tagwallProcess(ctx, args...)
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		_ = pw.Close()
	})
	started := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "tagwall serve started") {
				close(started)
				break
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	select {
	case <-started:
	case <-ctx.Done():
		tb.Fatalf("serve %v did not start", args)
	}
	return cmd
}

// TestServeAllowEmptyStore checks that --allow-empty-store starts on a
// 0-byte store beside an identity, and that SIGTERM then ends it cleanly.
func TestServeAllowEmptyStore(t *testing.T) {
	dir, db := storeDir(t)
	mustTruncate(t, db, 0)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := startServe(ctx, t, append(serveArgs(t, dir), "--allow-empty-store")...)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("serve after SIGTERM: %v", err)
	}
	// A new store: serve wrote only its own records (subscription, admin).
	if rep, err := boltstore.Check(db); err != nil || rep.Keys == 0 || rep.Keys >= 300 {
		t.Fatalf("the store serve created: %+v, %v", rep, err)
	}
}

func mustTruncate(tb testing.TB, path string, n int64) {
	tb.Helper()
	if err := os.Truncate(path, n); err != nil {
		tb.Fatal(err)
	}
}

func TestStoreCheckAndBackup(t *testing.T) {
	dir, db := storeDir(t)
	code, out, errs := tagwall(t, "store", "check", "--data-dir", dir)
	if code != 0 || !strings.Contains(out, "OK: "+db) || !strings.Contains(out, "300 keys") {
		t.Fatalf("check of a sound store: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	backup := filepath.Join(t.TempDir(), "backup.db")
	if code, out, errs := tagwall(t, "store", "backup", "--data-dir", dir, "--out", backup); code != 0 || !strings.Contains(out, "300 keys") {
		t.Fatalf("backup: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string // substring
		stderr   string // substring
		noStdout bool
	}{
		{"backup checks", []string{"store", "check", "--file", backup}, 0, "OK: " + backup, "", false},
		{"quick", []string{"store", "check", "--file", backup, "--quick"}, 0, "quick check", "", false},
		{"backup over a file", []string{"store", "backup", "--data-dir", dir, "--out", backup}, 1, "", "already exists", true},
		{"both sources", []string{"store", "check", "--data-dir", dir, "--file", db}, 2, "", "not both", true},
		{"backup without --out", []string{"store", "backup", "--data-dir", dir}, 2, "", "--out is required", true},
		{"missing file", []string{"store", "check", "--file", filepath.Join(dir, "nope.db")}, 1, "", "nope.db", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := tagwall(t, tt.args...)
			if code != tt.code || !strings.Contains(out, tt.stdout) || !strings.Contains(errs, tt.stderr) || (tt.noStdout && out != "") {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d, %q, %q", code, out, errs, tt.code, tt.stdout, tt.stderr)
			}
		})
	}
	// Damage: each problem on its own line, exit 1.
	garble(t, db)
	code, out, errs = tagwall(t, "store", "check", "--data-dir", dir)
	if code != 1 || !strings.HasPrefix(out, "problem: ") || !strings.Contains(errs, "damaged") || !strings.Contains(errs, "restore it from a backup") {
		t.Fatalf("check of a garbled store: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	if code, _, errs := tagwall(t, "store", "backup", "--data-dir", dir, "--out", filepath.Join(t.TempDir(), "b.db")); code != 1 || !strings.Contains(errs, "damaged") {
		t.Fatalf("backup of a garbled store: exit %d, stderr %q", code, errs)
	}
	mustTruncate(t, db, 0)
	if code, out, _ := tagwall(t, "store", "check", "--data-dir", dir); code != 1 || !strings.Contains(out, "is empty (0 bytes)") {
		t.Fatalf("check of an empty store beside an identity: exit %d, stdout %q", code, out)
	}
}
