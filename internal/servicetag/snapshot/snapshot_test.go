package snapshot

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestList(t *testing.T) {
	want := []struct {
		key, published string
	}{
		{"azure-china", "2026-07-13"},
		{"azure-government", "2026-07-13"},
		{"azure-public", "2025-10-13"},
		{"github-meta", "2025-07-21"},
	}
	got := List()
	if len(got) != len(want) {
		t.Fatalf("List() = %d snapshots, want %d", len(got), len(want))
	}
	for i, w := range want {
		t.Run(w.key, func(t *testing.T) {
			in := got[i]
			if in.Key != w.key || in.Published.Format(time.DateOnly) != w.published {
				t.Fatalf("List()[%d] = %s %s, want %s %s", i, in.Key, in.Published.Format(time.DateOnly), w.key, w.published)
			}
			latest, ok := Latest(w.key)
			if !ok || latest.Name != in.Name {
				t.Fatalf("Latest(%q) = %v, %v", w.key, latest.Name, ok)
			}
			start := time.Now()
			data, err := Read(in.Name)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%s: %d → %d bytes, decoded in %v", in.Name, in.Compressed, len(data), time.Since(start))
			sum := sha256.Sum256(data)
			if hex.EncodeToString(sum[:]) != in.SHA256 || int64(len(data)) != in.Size {
				t.Fatalf("Read(%q) does not match its manifest", in.Name)
			}
		})
	}
	if _, ok := Latest("aws-ip"); ok {
		t.Fatalf("Latest(aws-ip) found a snapshot that is not embedded")
	}
}

// TestSizeCost keeps the documented size cost honest.
func TestSizeCost(t *testing.T) {
	var total int64
	for _, in := range List() {
		total += in.Compressed
	}
	if total != 361221 {
		t.Fatalf("embedded snapshots total %d bytes; update the package doc (361,221)", total)
	}
}

func TestReadRefusesDamage(t *testing.T) {
	good, err := files.ReadFile("azure-china-2026-07-13.json.bz2")
	if err != nil {
		t.Fatal(err)
	}
	manifest, _ := files.ReadFile("MANIFEST")
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0xff
	tests := []struct {
		name string
		file []byte
		want string
	}{
		{name: "flipped byte", file: flipped, want: "azure-china-2026-07-13.json.bz2"},
		{name: "truncated", file: good[:len(good)/2], want: "decompress"},
		{name: "not bzip2", file: []byte("{}"), want: "decompress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{
				"MANIFEST":                             {Data: manifest},
				"azure-china-2026-07-13.json.bz2":      {Data: tt.file},
				"azure-public-2025-10-13.json.bz2":     {Data: []byte("x")},
				"azure-government-2026-07-13.json.bz2": {Data: []byte("x")},
				"github-meta-2025-07-21.json.bz2":      {Data: []byte("x")},
			}
			infos, err := parseManifest(fsys)
			if err != nil {
				t.Fatal(err)
			}
			_, err = read(fsys, infos, "azure-china-2026-07-13.json.bz2")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("read = %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := Read("nope.json.bz2"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Read(unknown) = %v, want ErrNotFound", err)
	}
}

func TestParseManifestRejects(t *testing.T) {
	tests := []struct {
		name, manifest, want string
	}{
		{name: "bad name", manifest: "public.json.bz2 00 12\n", want: "want <provider>-<feed>-<YYYY-MM-DD>"},
		{name: "bad date", manifest: "azure-public-2025-13-40.json.bz2 00 12\n", want: "month out of range"},
		{name: "bad size", manifest: "azure-public-2025-10-13.json.bz2 00 x\n", want: "size"},
		{name: "missing file", manifest: "azure-china-2025-10-13.json.bz2 00 12\n", want: "file does not exist"},
		{name: "fields", manifest: "azure-public-2025-10-13.json.bz2 00\n", want: "want 3 fields"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fsys := fstest.MapFS{"MANIFEST": {Data: []byte(tt.manifest)}, "azure-public-2025-10-13.json.bz2": {Data: []byte("x")}}
			_, err := parseManifest(fsys)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("parseManifest = %v, want %q", err, tt.want)
			}
		})
	}
}

// FuzzParseManifest checks that any manifest either fails or yields
// snapshots with a key, a date and a size that exist in the file system.
func FuzzParseManifest(f *testing.F) {
	// The real manifest.
	real, _ := files.ReadFile("MANIFEST")
	f.Add(string(real))
	// A comment and a blank line only.
	f.Add("# header\n\n")
	// A bad date.
	f.Add("azure-public-2025-02-30.json.bz2 00 12\n")
	// Two fields.
	f.Add("azure-public-2025-10-13.json.bz2 00\n")
	f.Fuzz(func(t *testing.T, manifest string) {
		fsys := fstest.MapFS{"MANIFEST": {Data: []byte(manifest)}, "azure-public-2025-10-13.json.bz2": {Data: []byte("x")}}
		infos, err := parseManifest(fsys)
		if err != nil {
			return
		}
		for _, in := range infos {
			if in.Key == "" || in.Published.IsZero() || in.Size <= 0 || in.Name != "azure-public-2025-10-13.json.bz2" {
				t.Fatalf("accepted %+v", in)
			}
		}
	})
}
