package server

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"testing"
)

func encodeShared(tb testing.TB, raw []byte) []byte {
	tb.Helper()
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	_, _ = zw.Write(raw)
	_ = zw.Close()
	sum := sha256.Sum256(raw)
	b, err := json.Marshal(sharedDoc{Source: "s", ChangeNumber: 1, SHA256: hex.EncodeToString(sum[:]), Gzip: zb.Bytes()})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestDecodeShared(t *testing.T) {
	raw := []byte(`{"changeNumber":1,"cloud":"Public","values":[]}`)
	good := encodeShared(t, raw)
	var bad sharedDoc
	_ = json.Unmarshal(good, &bad)
	bad.SHA256 = hex.EncodeToString(make([]byte, 32))
	badSum, _ := json.Marshal(bad)
	tests := []struct {
		name    string
		in      []byte
		wantErr string
	}{
		{name: "round trip", in: good},
		{name: "checksum", in: badSum, wantErr: "checksum mismatch"},
		{name: "not json", in: []byte("nope"), wantErr: "decode stored service tags"},
		{name: "not gzip", in: []byte(`{"source":"s","gzip":"AAAA"}`), wantErr: `of "s"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var d sharedDoc
			got, err := decodeShared(tt.in, &d)
			if tt.wantErr != "" {
				if err == nil || !bytes.Contains([]byte(err.Error()), []byte(tt.wantErr)) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !bytes.Equal(got, raw) {
				t.Fatalf("decode = %q, %v", got, err)
			}
		})
	}
}

// FuzzDecodeShared: a stored value never panics the decoder, and whatever
// it accepts matches its checksum.
func FuzzDecodeShared(f *testing.F) {
	f.Add(encodeShared(f, []byte(`{"changeNumber":1}`))) // a good value
	f.Add([]byte(`{"gzip":""}`))                         // empty gzip
	f.Add([]byte(`null`))                                // JSON null
	f.Fuzz(func(t *testing.T, in []byte) {
		var d sharedDoc
		raw, err := decodeShared(in, &d)
		if err != nil {
			return
		}
		if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) != d.SHA256 {
			t.Fatalf("accepted a value whose checksum does not match")
		}
	})
}
