package snapshot

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// growthBase is a minimal program that links, and uses, the standard
// packages this package uses; growthWith is the same program that also
// reads every embedded snapshot. The difference of their sizes is what the
// snapshots cost a binary: the embedded bytes, this package's code and
// section alignment.
const growthBase = `package main

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
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	//IMPORT
)

var files embed.FS

func base() {
	once := sync.OnceValue(func() []string { return strings.Fields(os.Args[0]) })
	s := once()
	slices.Sort(s)
	n, _ := strconv.Atoi(os.Args[0])
	b, err := io.ReadAll(bzip2.NewReader(bytes.NewReader([]byte(os.Args[0]))))
	sum := sha256.Sum256(b)
	_, ferr := fs.ReadFile(files, "x")
	ok := regexp.MustCompile(os.Args[0]).MatchString(hex.EncodeToString(sum[:]))
	fmt.Fprintln(os.Stderr, s, n, errors.Join(err, ferr), ok, time.Date(2025, 10, 13, 0, 0, 0, 0, time.UTC))
}
`

// BenchmarkBinaryGrowth builds both programs (go build -o into a temp dir,
// the main package placed in this package's tree through -overlay, so no
// file is written there) and reports their difference in bytes
// (growth-bytes) next to the embedded bytes (embedded-bytes). ns/op is
// the two builds' time and means nothing.
//
//	go test ./internal/servicetag/snapshot -run '^$' -bench BinaryGrowth -benchtime 1x
func BenchmarkBinaryGrowth(b *testing.B) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		b.Skipf("no go tool: %v", err)
	}
	var embedded int64
	for _, in := range List() {
		embedded += in.Compressed
	}
	dir := b.TempDir()
	target, err := filepath.Abs(filepath.Join("internal", "sizeprobe", "main.go"))
	if err != nil {
		b.Fatal(err)
	}
	size := func(name, src string) int64 {
		b.Helper()
		srcPath := filepath.Join(dir, name+".go")
		overlay := filepath.Join(dir, name+".json")
		bin := filepath.Join(dir, name)
		ov, _ := json.Marshal(map[string]map[string]string{"Replace": {target: srcPath}})
		if err := os.WriteFile(srcPath, []byte(src), 0o600); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(overlay, ov, 0o600); err != nil {
			b.Fatal(err)
		}
		cmd := exec.Command(goTool, "build", "-overlay", overlay, "-o", bin, "./internal/sizeprobe")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("go build %s: %v\n%s", name, err, out)
		}
		fi, err := os.Stat(bin)
		if err != nil {
			b.Fatal(err)
		}
		return fi.Size()
	}
	var base, with int64
	for b.Loop() {
		base = size("base", growthBase+"\nfunc main() { base() }\n")
		withSrc := strings.Replace(growthBase, "//IMPORT", `"github.com/tagwall/tagwall/internal/servicetag/snapshot"`, 1)
		with = size("with", withSrc+`
func main() {
	base()
	for _, in := range snapshot.List() {
		data, err := snapshot.Read(in.Name)
		fmt.Fprintln(os.Stderr, in.Name, len(data), err)
	}
}
`)
	}
	b.ReportMetric(float64(base), "base-bytes")
	b.ReportMetric(float64(with-base), "growth-bytes")
	b.ReportMetric(float64(embedded), "embedded-bytes")
}
