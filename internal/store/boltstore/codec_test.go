package boltstore

import (
	"bytes"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/store"
)

func TestEventRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		ev   store.Event
	}{
		{"put", store.Event{Type: store.EventPut, KV: store.KV{Key: "clusters/a", Value: []byte(`{"x":1}`), CreateRevision: 3, ModRevision: 9}}},
		{"put empty value", store.Event{Type: store.EventPut, KV: store.KV{Key: "k", Value: []byte{}, CreateRevision: 9, ModRevision: 9}}},
		{"delete", store.Event{Type: store.EventDelete, KV: store.KV{Key: "clusters/a", ModRevision: 10}}},
		{"long key", store.Event{Type: store.EventPut, KV: store.KV{Key: strings.Repeat("k", 300), Value: []byte("v"), CreateRevision: 1, ModRevision: 1 << 40}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, match, err := decodeEvent(tt.ev.KV.ModRevision, encodeEvent(tt.ev), "")
			if err != nil || !match {
				t.Fatalf("decode: match %v, %v", match, err)
			}
			if got.Type != tt.ev.Type || got.KV.Key != tt.ev.KV.Key || !bytes.Equal(got.KV.Value, tt.ev.KV.Value) ||
				got.KV.CreateRevision != tt.ev.KV.CreateRevision || got.KV.ModRevision != tt.ev.KV.ModRevision {
				t.Fatalf("round trip %+v, want %+v", got, tt.ev)
			}
			if _, match, _ := decodeEvent(1, encodeEvent(tt.ev), tt.ev.KV.Key+"/"); match {
				t.Fatal("matched a longer prefix")
			}
		})
	}
}

// FuzzDecodeEvent feeds arbitrary log records to the decoder (a corrupt
// file must give an error, not a panic) and checks that encoded events
// round-trip.
func FuzzDecodeEvent(f *testing.F) {
	f.Add([]byte{}, "", []byte(""))                                                                                                           // empty record
	f.Add(encodeEvent(store.Event{Type: store.EventPut, KV: store.KV{Key: "a/1", Value: []byte("v"), CreateRevision: 2}}), "a/", []byte("v")) // valid put
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0xff, 0xff}, "", []byte("x"))                                                               // huge key length
	f.Fuzz(func(t *testing.T, raw []byte, prefix string, value []byte) {
		_, _, _ = decodeEvent(7, raw, prefix)
		_, _ = decodeValue([]byte("k"), raw)
		ev := store.Event{Type: store.EventPut, KV: store.KV{Key: prefix + "x", Value: value, CreateRevision: 5, ModRevision: 7}}
		got, match, err := decodeEvent(7, encodeEvent(ev), prefix)
		if err != nil || !match || got.KV.Key != ev.KV.Key || !bytes.Equal(got.KV.Value, value) || got.KV.CreateRevision != 5 {
			t.Fatalf("round trip of %+v: %+v, match %v, %v", ev, got, match, err)
		}
		kv, err := decodeValue([]byte("k"), encodeValue(5, 7, value))
		if err != nil || !bytes.Equal(kv.Value, value) || kv.CreateRevision != 5 || kv.ModRevision != 7 {
			t.Fatalf("value round trip: %+v, %v", kv, err)
		}
	})
}
