// Package snapshot holds the last-good service-tag documents compiled into
// the binary (go:embed), so that a machine with no network and no cache
// still has data: the latest Azure Public, AzureGovernment and China
// download files, each byte for byte as Microsoft published it, and GitHub's
// meta document (api.github.com/meta) byte for byte as GitHub served it, so
// GitHub.Actions works offline (see
// ../shared/testdata/servicetags/SOURCES.md; the files are facts copied
// from public archives and are checked against SHA256SUMS there), bzip2 -9
// compressed. bzip2 is decoded by the standard library (compress/bzip2) and
// is 37 % smaller than gzip -9 here (Public: 308,088 bytes against 486,946).
//
// Size cost (MANIFEST lists the files): Public 4,106,571 → 308,088 bytes,
// AzureGovernment 326,394 → 19,844, China 263,475 → 14,408, GitHub meta
// 124,408 → 18,881: 361,221 bytes in all (TestSizeCost keeps this figure
// honest). Binary growth with all four: 495,980 bytes (BenchmarkBinaryGrowth:
// a minimal program linking the same standard packages, 3,283,523 bytes,
// against the same program reading every snapshot; go1.26.8 linux/amd64):
// the embedded bytes plus this package's code and section alignment. Decoding the Public snapshot costs
// about 0.1 s of CPU and 4 MB, paid only when it is read.
//
// A snapshot is named <provider>-<feed>-<YYYY-MM-DD>.json.bz2: Key is
// "<provider>-<feed>" (azure-public, azure-government, azure-china,
// github-meta) and the date,
// the publication date, is the snapshot's metadata (the Azure JSON does not
// carry it). Adding a format's snapshot is adding its file with go generate;
// nothing else in this package changes. Read verifies the decompressed
// bytes against MANIFEST, so a damaged embedding is an error, never data.
//
// Regenerate with `go generate ./internal/servicetag/snapshot` (it runs
// internal/gen, which needs the shared test data and the bzip2 tool).
package snapshot

//go:generate go run ./internal/gen -src ../../../../shared/testdata/servicetags azure-public-2025-10-13.json azure-government-2026-07-13.json azure-china-2026-07-13.json github-meta-2025-07-21.json

import (
	"bytes"
	"compress/bzip2"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed MANIFEST *.json.bz2
var files embed.FS

// ErrNotFound is returned by Read for a name that is not embedded.
var ErrNotFound = errors.New("no such embedded snapshot")

// Info describes one embedded snapshot.
type Info struct {
	Name       string    // file name, e.g. "azure-public-2025-10-13.json.bz2"
	Key        string    // "<provider>-<feed>", e.g. "azure-public"
	Published  time.Time // the publication date from the name (UTC midnight)
	Compressed int64     // embedded bytes
	Size       int64     // decompressed bytes
	SHA256     string    // of the decompressed document, hex
}

var nameRE = regexp.MustCompile(`^([a-z0-9]+-[a-z0-9]+)-(\d{4}-\d{2}-\d{2})\.json\.bz2$`)

var list = sync.OnceValue(func() []Info {
	infos, err := parseManifest(files)
	if err != nil {
		panic(err) // the embedded manifest is a build input: a bad one is a programmer error
	}
	return infos
})

// parseManifest reads MANIFEST and checks it against the embedded files.
func parseManifest(fsys fs.FS) ([]Info, error) {
	data, err := fs.ReadFile(fsys, "MANIFEST")
	if err != nil {
		return nil, fmt.Errorf("read snapshot manifest: %w", err)
	}
	var out []Info
	for i, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		info, err := parseLine(fsys, f)
		if err != nil {
			return nil, fmt.Errorf("snapshot manifest line %d: %w", i+1, err)
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b Info) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func parseLine(fsys fs.FS, f []string) (Info, error) {
	if len(f) != 3 {
		return Info{}, fmt.Errorf("want 3 fields, got %d", len(f))
	}
	m := nameRE.FindStringSubmatch(f[0])
	if m == nil {
		return Info{}, fmt.Errorf("name %q: want <provider>-<feed>-<YYYY-MM-DD>.json.bz2", f[0])
	}
	pub, err := time.Parse(time.DateOnly, m[2])
	if err != nil {
		return Info{}, fmt.Errorf("name %q: %w", f[0], err)
	}
	size, err := strconv.ParseInt(f[2], 10, 64)
	if err != nil || size <= 0 {
		return Info{}, fmt.Errorf("name %q: size %q", f[0], f[2])
	}
	st, err := fs.Stat(fsys, f[0])
	if err != nil {
		return Info{}, fmt.Errorf("name %q: %w", f[0], err)
	}
	return Info{Name: f[0], Key: m[1], Published: pub, Compressed: st.Size(), Size: size, SHA256: f[1]}, nil
}

// List returns every embedded snapshot, sorted by name. The caller may
// modify the returned slice.
func List() []Info { return slices.Clone(list()) }

// Latest returns the newest snapshot of key (e.g. "azure-public").
func Latest(key string) (Info, bool) {
	var best Info
	found := false
	for _, in := range list() {
		if in.Key == key && (!found || in.Published.After(best.Published)) {
			best, found = in, true
		}
	}
	return best, found
}

// Read returns the decompressed document of the snapshot named name (an
// Info.Name), checked against the size and SHA-256 in the manifest.
func Read(name string) ([]byte, error) {
	return read(files, list(), name)
}

func read(fsys fs.FS, infos []Info, name string) ([]byte, error) {
	i := slices.IndexFunc(infos, func(in Info) bool { return in.Name == name })
	if i < 0 {
		return nil, fmt.Errorf("read embedded snapshot %q: %w", name, ErrNotFound)
	}
	info := infos[i]
	z, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("read embedded snapshot %q: %w", name, err)
	}
	data, err := io.ReadAll(io.LimitReader(bzip2.NewReader(bytes.NewReader(z)), info.Size+1))
	if err != nil {
		return nil, fmt.Errorf("read embedded snapshot %q: decompress: %w", name, err)
	}
	sum := sha256.Sum256(data)
	if int64(len(data)) != info.Size || hex.EncodeToString(sum[:]) != info.SHA256 {
		return nil, fmt.Errorf("read embedded snapshot %q: %d bytes with sha256 %x do not match the manifest", name, len(data), sum)
	}
	return data, nil
}
