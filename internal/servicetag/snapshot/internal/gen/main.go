// Command gen regenerates the embedded service-tag snapshots of package
// snapshot from the real published documents (../shared/testdata/servicetags,
// see SOURCES.md there). Run it with go generate in the snapshot directory:
//
//	go generate ./internal/servicetag/snapshot
//
// For every named file it checks the SHA-256 against the SHA256SUMS file
// beside it, compresses the bytes with bzip2 -9 (the bzip2 tool must be on
// PATH; Go's compress/bzip2 decodes it), checks that compress/bzip2 gives
// the same bytes back, removes the older snapshots of the same key and
// rewrites MANIFEST. File names are <provider>-<feed>-<YYYY-MM-DD>.json:
// the date is the publication date and becomes the snapshot's metadata.
package main

import (
	"bufio"
	"bytes"
	"compress/bzip2"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

var nameRE = regexp.MustCompile(`^([a-z0-9]+-[a-z0-9]+)-(\d{4}-\d{2}-\d{2})\.json$`)

func main() {
	src := flag.String("src", "", "directory of the published documents (with SHA256SUMS)")
	out := flag.String("out", ".", "snapshot directory to write")
	flag.Parse()
	if *src == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: gen -src DIR FILE.json...")
		os.Exit(2)
	}
	if err := run(*src, *out, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(src, out string, names []string) error {
	sums, err := readSums(filepath.Join(src, "SHA256SUMS"))
	if err != nil {
		return err
	}
	manifest := map[string]string{}
	if old, err := os.ReadFile(filepath.Join(out, "MANIFEST")); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(old)), "\n") {
			if f := strings.Fields(line); len(f) == 3 {
				manifest[f[0]] = line
			}
		}
	}
	for _, name := range names {
		m := nameRE.FindStringSubmatch(name)
		if m == nil {
			return fmt.Errorf("snapshot name %q: want <provider>-<feed>-<YYYY-MM-DD>.json", name)
		}
		line, err := compress(src, out, name, sums[name])
		if err != nil {
			return err
		}
		for other := range manifest { // one snapshot per key: drop the older ones
			om := nameRE.FindStringSubmatch(strings.TrimSuffix(other, ".bz2"))
			if om != nil && om[1] == m[1] && other != name+".bz2" {
				_ = os.Remove(filepath.Join(out, other))
				delete(manifest, other)
			}
		}
		manifest[name+".bz2"] = line
	}
	keys := make([]string, 0, len(manifest))
	for k := range manifest {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("# name sha256-of-the-decompressed-document decompressed-bytes (written by internal/gen)\n")
	for _, k := range keys {
		b.WriteString(manifest[k] + "\n")
	}
	return os.WriteFile(filepath.Join(out, "MANIFEST"), []byte(b.String()), 0o644)
}

// compress writes out/name.bz2 and returns its manifest line.
func compress(src, out, name, wantSum string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(src, name))
	if err != nil {
		return "", fmt.Errorf("read snapshot source %q: %w", name, err)
	}
	sum := sha256.Sum256(raw)
	got := hex.EncodeToString(sum[:])
	if got != wantSum {
		return "", fmt.Errorf("snapshot source %q: sha256 %s, SHA256SUMS says %q", name, got, wantSum)
	}
	cmd := exec.Command("bzip2", "-9", "-c")
	cmd.Stdin = bytes.NewReader(raw)
	var z bytes.Buffer
	cmd.Stdout, cmd.Stderr = &z, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("compress snapshot %q with bzip2: %w", name, err)
	}
	back, err := io.ReadAll(bzip2.NewReader(bytes.NewReader(z.Bytes())))
	if err != nil || !bytes.Equal(back, raw) {
		return "", fmt.Errorf("compress snapshot %q: compress/bzip2 does not give the bytes back (%v)", name, err)
	}
	if err := os.WriteFile(filepath.Join(out, name+".bz2"), z.Bytes(), 0o644); err != nil {
		return "", fmt.Errorf("write snapshot %q: %w", name, err)
	}
	fmt.Printf("%s: %d bytes -> %d bytes bzip2\n", name, len(raw), z.Len())
	return fmt.Sprintf("%s %s %d", name+".bz2", got, len(raw)), nil
}

func readSums(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read checksums: %w", err)
	}
	defer f.Close()
	sums := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fs := strings.Fields(sc.Text()); len(fs) == 2 {
			sums[fs[1]] = fs[0]
		}
	}
	return sums, sc.Err()
}
