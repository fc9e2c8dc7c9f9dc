package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/servicetag/snapshot"
)

// TestStoredDocumentSize reports the size of the Azure Public document as
// the fleet stores it (a sharedDoc record: JSON, the gzipped document in
// base64), the figure docs/deployment.md quotes, and fails if the record
// passes etcd's default request limit (1.5 MiB):
//
//	go test ./internal/server -run TestStoredDocumentSize -v
func TestStoredDocumentSize(t *testing.T) {
	raw, err := snapshot.Read("azure-public-2025-10-13.json.bz2")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	d := sharedDoc{
		Source: "https://www.microsoft.com/en-us/download/details.aspx?id=56519", ChangeNumber: 373,
		SHA256: hex.EncodeToString(sum[:]), FetchedAt: time.Now(), Gzip: gzipBytes(raw),
	}
	rec, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("azure-public-2025-10-13.json: %d bytes; gzipped %d bytes; stored record %d bytes (%.2f MB)", len(raw), len(d.Gzip), len(rec), float64(len(rec))/1e6)
	if len(rec) > 3<<19 {
		t.Errorf("stored record is %d bytes, over etcd's 1.5 MiB default", len(rec))
	}
}
