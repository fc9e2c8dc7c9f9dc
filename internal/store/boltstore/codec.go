package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/tagwall/tagwall/internal/store"
)

// errCorrupt is returned when a record in the file cannot be decoded.
var errCorrupt = errors.New("corrupt record")

func revKey(rev int64) []byte {
	return binary.BigEndian.AppendUint64(nil, uint64(rev))
}

func getInt(b *bolt.Bucket, name []byte) int64 {
	v := b.Get(name)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func putInt(b *bolt.Bucket, name []byte, n int64) error {
	return b.Put(name, revKey(n))
}

// encodeValue lays out a "kv" record: create rev, mod rev, value.
func encodeValue(createRev, modRev int64, value []byte) []byte {
	buf := make([]byte, 0, 16+len(value))
	buf = binary.BigEndian.AppendUint64(buf, uint64(createRev))
	buf = binary.BigEndian.AppendUint64(buf, uint64(modRev))
	return append(buf, value...)
}

// decodeValue copies a "kv" record out of bbolt's memory.
func decodeValue(key, raw []byte) (store.KV, error) {
	if len(raw) < 16 {
		return store.KV{}, fmt.Errorf("decode key %q: %w", key, errCorrupt)
	}
	return store.KV{
		Key:            string(key),
		Value:          append([]byte{}, raw[16:]...),
		CreateRevision: int64(binary.BigEndian.Uint64(raw)),
		ModRevision:    int64(binary.BigEndian.Uint64(raw[8:])),
	}, nil
}

// encodeEvent lays out a "log" record: type, create rev, key length, key,
// value. The mod revision is the record's key.
func encodeEvent(ev store.Event) []byte {
	buf := make([]byte, 0, 1+8+binary.MaxVarintLen64+len(ev.KV.Key)+len(ev.KV.Value))
	buf = append(buf, byte(ev.Type))
	buf = binary.BigEndian.AppendUint64(buf, uint64(ev.KV.CreateRevision))
	buf = binary.AppendUvarint(buf, uint64(len(ev.KV.Key)))
	buf = append(buf, ev.KV.Key...)
	return append(buf, ev.KV.Value...)
}

// decodeEvent reads a "log" record's key, and its value only if it is
// wanted (the caller filters by prefix first).
func decodeEvent(rev int64, raw []byte, prefix string) (ev store.Event, match bool, err error) {
	if len(raw) < 10 {
		return ev, false, fmt.Errorf("decode event %d: %w", rev, errCorrupt)
	}
	typ := store.EventType(raw[0])
	create := int64(binary.BigEndian.Uint64(raw[1:]))
	n, w := binary.Uvarint(raw[9:])
	start := 9 + w
	if w <= 0 || uint64(len(raw)-start) < n {
		return ev, false, fmt.Errorf("decode event %d: %w", rev, errCorrupt)
	}
	key := raw[start : start+int(n)]
	if len(key) < len(prefix) || string(key[:len(prefix)]) != prefix {
		return ev, false, nil
	}
	ev = store.Event{Type: typ, KV: store.KV{Key: string(key), CreateRevision: create, ModRevision: rev}}
	if typ == store.EventPut {
		ev.KV.Value = append([]byte{}, raw[start+int(n):]...)
	}
	return ev, true, nil
}
