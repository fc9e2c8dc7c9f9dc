package storetest

import (
	"bytes"
	"testing"

	"github.com/tagwall/tagwall/internal/store"
)

func testCreateGet(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	_, err := s.Get(ctx, "a/1")
	wantErr(t, `Get("a/1") before Create`, err, store.ErrNotFound)
	rev, err := s.Create(ctx, "a/1", []byte("one"))
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if rev <= 0 {
		t.Fatalf("Create revision %d, want > 0", rev)
	}
	wantKV(t, mustGet(t, s, "a/1"), "a/1", "one", rev, rev)
	_, err = s.Create(ctx, "a/1", []byte("again"))
	wantErr(t, "second Create", err, store.ErrExists)
	wantKV(t, mustGet(t, s, "a/1"), "a/1", "one", rev, rev)
}

func testUpdate(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	tests := []struct {
		name  string
		ifRev int64
	}{
		{"unconditional", 0},
		{"conditional", 12345},
	}
	for _, tt := range tests {
		_, err := s.Update(ctx, "missing", []byte("x"), tt.ifRev)
		wantErr(t, "Update of a missing key "+tt.name, err, store.ErrNotFound)
	}
	created, err := s.Create(ctx, "k", []byte("v1"))
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	_, err = s.Update(ctx, "k", []byte("bad"), created+1000)
	wantErr(t, "Update with a wrong revision", err, store.ErrConflict)
	wantKV(t, mustGet(t, s, "k"), "k", "v1", created, created)

	rev2, err := s.Update(ctx, "k", []byte("v2"), created)
	if err != nil {
		t.Fatalf("Update with the right revision: %v", err)
	}
	if rev2 <= created {
		t.Fatalf("Update revision %d, want > %d", rev2, created)
	}
	wantKV(t, mustGet(t, s, "k"), "k", "v2", created, rev2)

	_, err = s.Update(ctx, "k", []byte("stale"), created)
	wantErr(t, "Update with the previous revision", err, store.ErrConflict)

	rev3, err := s.Update(ctx, "k", []byte("v3"), 0)
	if err != nil {
		t.Fatalf("unconditional Update: %v", err)
	}
	if rev3 <= rev2 {
		t.Fatalf("Update revision %d, want > %d", rev3, rev2)
	}
	wantKV(t, mustGet(t, s, "k"), "k", "v3", created, rev3)
}

func testPut(t *testing.T, s store.Store) {
	rev1 := mustPut(t, s, "p", "one")
	wantKV(t, mustGet(t, s, "p"), "p", "one", rev1, rev1)
	rev2 := mustPut(t, s, "p", "two")
	if rev2 <= rev1 {
		t.Fatalf("second Put revision %d, want > %d", rev2, rev1)
	}
	wantKV(t, mustGet(t, s, "p"), "p", "two", rev1, rev2)
}

func testDelete(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	_, err := s.Delete(ctx, "d", 0)
	wantErr(t, "Delete of a missing key", err, store.ErrNotFound)
	_, err = s.Delete(ctx, "d", 7)
	wantErr(t, "conditional Delete of a missing key", err, store.ErrNotFound)

	rev := mustPut(t, s, "d", "x")
	_, err = s.Delete(ctx, "d", rev+1000)
	wantErr(t, "Delete with a wrong revision", err, store.ErrConflict)
	wantKV(t, mustGet(t, s, "d"), "d", "x", rev, rev)

	del, err := s.Delete(ctx, "d", rev)
	if err != nil {
		t.Fatalf("Delete with the right revision: %v", err)
	}
	if del <= rev {
		t.Fatalf("Delete revision %d, want > %d", del, rev)
	}
	_, err = s.Get(ctx, "d")
	wantErr(t, "Get after Delete", err, store.ErrNotFound)
	_, err = s.Delete(ctx, "d", 0)
	wantErr(t, "second Delete", err, store.ErrNotFound)

	// A key created again starts a new life with a new CreateRevision.
	again, err := s.Create(ctx, "d", []byte("y"))
	if err != nil {
		t.Fatalf("Create after Delete: %v", err)
	}
	wantKV(t, mustGet(t, s, "d"), "d", "y", again, again)
	if _, err := s.Delete(ctx, "d", 0); err != nil {
		t.Fatalf("unconditional Delete: %v", err)
	}
}

func testRevisionsIncrease(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	last := mustRevision(t, s)
	step := func(op string, rev int64, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", op, err)
		}
		if rev <= last {
			t.Fatalf("%s: revision %d, want > %d", op, rev, last)
		}
		last = rev
		if cur := mustRevision(t, s); cur < rev {
			t.Fatalf("Revision after %s is %d, want >= %d", op, cur, rev)
		}
	}
	rev, err := s.Create(ctx, "x/1", []byte("a"))
	step("Create x/1", rev, err)
	rev, err = s.Create(ctx, "y/1", []byte("b"))
	step("Create y/1", rev, err)
	rev, err = s.Put(ctx, "x/1", []byte("c"))
	step("Put x/1", rev, err)
	_, err = s.Update(ctx, "y/1", []byte("d"), last) // last is x/1's revision
	if err == nil {
		t.Fatalf("Update with a stale revision succeeded")
	}
	rev, err = s.Update(ctx, "y/1", []byte("d"), 0)
	step("Update y/1", rev, err)
	rev, err = s.Delete(ctx, "x/1", 0)
	step("Delete x/1", rev, err)
	kv := mustGet(t, s, "y/1")
	if kv.CreateRevision >= kv.ModRevision {
		t.Fatalf("y/1 create %d mod %d, want create < mod", kv.CreateRevision, kv.ModRevision)
	}
}

// testFailedWrites checks that a rejected write does not advance the store
// revision, so that an observer never sees a revision without a change.
func testFailedWrites(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	rev := mustPut(t, s, "f", "1")
	if cur := mustRevision(t, s); cur != rev {
		t.Skipf("store revision %d moved past our write %d: shared by another writer", cur, rev)
	}
	_, err := s.Create(ctx, "f", []byte("2"))
	wantErr(t, "Create of an existing key", err, store.ErrExists)
	_, err = s.Update(ctx, "f", []byte("2"), rev+5)
	wantErr(t, "Update with a wrong revision", err, store.ErrConflict)
	_, err = s.Update(ctx, "nope", []byte("2"), 0)
	wantErr(t, "Update of a missing key", err, store.ErrNotFound)
	_, err = s.Delete(ctx, "nope", 0)
	wantErr(t, "Delete of a missing key", err, store.ErrNotFound)
	_, err = s.Delete(ctx, "f", rev+5)
	wantErr(t, "Delete with a wrong revision", err, store.ErrConflict)
	if cur := mustRevision(t, s); cur != rev {
		t.Fatalf("Revision after failed writes is %d, want %d", cur, rev)
	}
}

func testList(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	keys := []string{"b/1", "a/2", "ab/x", "a/10", "a", "a/1", "a/sub/deep"}
	var last int64
	for _, k := range keys {
		last = mustPut(t, s, k, "v-"+k)
	}
	tests := []struct {
		name   string
		prefix string
		want   []string
	}{
		{"slash prefix excludes siblings", "a/", []string{"a/1", "a/10", "a/2", "a/sub/deep"}},
		{"bare prefix", "a", []string{"a", "a/1", "a/10", "a/2", "a/sub/deep", "ab/x"}},
		{"nested", "a/sub/", []string{"a/sub/deep"}},
		{"exact key as prefix", "b/1", []string{"b/1"}},
		{"no match", "zzz/", nil},
		{"everything", "", []string{"a", "a/1", "a/10", "a/2", "a/sub/deep", "ab/x", "b/1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kvs, rev, err := s.List(ctx, tt.prefix)
			if err != nil {
				t.Fatalf("List(%q): %v", tt.prefix, err)
			}
			if rev < last {
				t.Fatalf("List(%q) read revision %d, want >= %d", tt.prefix, rev, last)
			}
			var got []string
			for _, kv := range kvs {
				got = append(got, kv.Key)
				if string(kv.Value) != "v-"+kv.Key {
					t.Errorf("List(%q) %q value %q", tt.prefix, kv.Key, kv.Value)
				}
				if kv.ModRevision <= 0 || kv.ModRevision > rev || kv.CreateRevision != kv.ModRevision {
					t.Errorf("List(%q) %q create %d mod %d read at %d", tt.prefix, kv.Key, kv.CreateRevision, kv.ModRevision, rev)
				}
			}
			if !equalStrings(got, tt.want) {
				t.Fatalf("List(%q) keys %q, want %q", tt.prefix, got, tt.want)
			}
			if n, err := s.Count(ctx, tt.prefix); err != nil || n != len(tt.want) {
				t.Fatalf("Count(%q) = %d, %v; want %d", tt.prefix, n, err, len(tt.want))
			}
		})
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testValuesCopied(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	buf := []byte("original")
	if _, err := s.Create(ctx, "c/1", buf); err != nil {
		t.Fatalf("Create: %v", err)
	}
	copy(buf, "XXXXXXXX")
	kv := mustGet(t, s, "c/1")
	if string(kv.Value) != "original" {
		t.Fatalf("value changed with the caller's slice: %q", kv.Value)
	}
	copy(kv.Value, "YYYYYYYY")
	if got := mustGet(t, s, "c/1"); string(got.Value) != "original" {
		t.Fatalf("value changed with a returned slice: %q", got.Value)
	}
	kvs, _, err := s.List(ctx, "c/")
	if err != nil || len(kvs) != 1 {
		t.Fatalf("List: %v, %d keys", err, len(kvs))
	}
	copy(kvs[0].Value, "ZZZZZZZZ")
	if got := mustGet(t, s, "c/1"); string(got.Value) != "original" {
		t.Fatalf("value changed with a listed slice: %q", got.Value)
	}
	upd := []byte("updated!")
	if _, err := s.Update(ctx, "c/1", upd, 0); err != nil {
		t.Fatalf("Update: %v", err)
	}
	copy(upd, "WWWWWWWW")
	if got := mustGet(t, s, "c/1"); string(got.Value) != "updated!" {
		t.Fatalf("value changed with the Update slice: %q", got.Value)
	}
}

func testEmptyValue(t *testing.T, s store.Store) {
	ctx := ctxFor(t)
	for _, v := range [][]byte{nil, {}} {
		if _, err := s.Put(ctx, "e", v); err != nil {
			t.Fatalf("Put of an empty value: %v", err)
		}
		kv := mustGet(t, s, "e")
		if len(kv.Value) != 0 {
			t.Fatalf("empty value read back as %q", kv.Value)
		}
	}
}

func testLargeValue(t *testing.T, s store.Store) {
	big := make([]byte, 1<<20)
	for i := range big {
		big[i] = byte(i*7 + i>>8)
	}
	rev, err := s.Put(ctxFor(t), "big", big)
	if err != nil {
		t.Fatalf("Put of 1 MiB: %v", err)
	}
	kv := mustGet(t, s, "big")
	if !bytes.Equal(kv.Value, big) || kv.ModRevision != rev {
		t.Fatalf("1 MiB value read back as %d bytes at mod %d, want %d bytes at %d",
			len(kv.Value), kv.ModRevision, len(big), rev)
	}
}
