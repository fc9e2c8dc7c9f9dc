package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/bits"
)

// The on-disk layout of a bbolt file (go.etcd.io/bbolt/internal/common),
// read here with ordinary bounds-checked reads so that a damaged file gives
// a list of problems instead of a fault inside bbolt's memory map. Integers
// are in the machine's byte order, as bbolt writes them.
const (
	pageHeaderSize = 16 // id u64, flags u16, count u16, overflow u32
	elemSize       = 16 // branch: pos, ksize u32, pgid u64; leaf: flags, pos, ksize, vsize u32
	bucketHdrSize  = 16 // root pgid u64, sequence u64
	metaSize       = 64 // magic, version, page size, flags u32; root bucket; freelist, pgid, txid, checksum u64

	flagBranch   = 0x01
	flagLeaf     = 0x02
	flagMeta     = 0x04
	flagFreelist = 0x10
	leafIsBucket = 0x01

	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	noFreelist     = ^uint64(0)
	maxTreeDepth   = 64  // deeper than any real B+tree: a cycle or garbage
	maxProblems    = 100 // a garbled file can yield thousands; the first ones tell the story
	minPageSize    = 1024
	maxPageSize    = 1 << 24
	freelistSpills = 0xFFFF // page count at which the real count moves to the first id slot
)

var ne = binary.NativeEndian

// meta is a decoded meta page.
type meta struct {
	pageSize uint32
	root     uint64 // the root bucket's root page
	freelist uint64
	hwm      uint64 // high-water mark: pages [0, hwm) are in use or free
	txid     uint64
}

// parseMeta decodes the meta in the page at buf (header included) and
// validates it as bbolt does: magic, version, then FNV-64a checksum.
func parseMeta(buf []byte) (meta, error) {
	if len(buf) < pageHeaderSize+metaSize {
		return meta{}, errors.New("short read")
	}
	m := buf[pageHeaderSize : pageHeaderSize+metaSize]
	switch {
	case ne.Uint32(m[0:]) != boltMagic:
		return meta{}, errors.New("not a bbolt meta page (bad magic)")
	case ne.Uint32(m[4:]) != boltVersion:
		return meta{}, fmt.Errorf("unsupported bbolt version %d", ne.Uint32(m[4:]))
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != ne.Uint64(m[56:]) {
		return meta{}, errors.New("checksum mismatch")
	}
	return meta{pageSize: ne.Uint32(m[8:]), root: ne.Uint64(m[16:]), freelist: ne.Uint64(m[32:]),
		hwm: ne.Uint64(m[40:]), txid: ne.Uint64(m[48:])}, nil
}

// verifier walks a bbolt file's pages with ReadAt.
type verifier struct {
	f     io.ReaderAt
	size  int64
	quick bool // bucket root pages only, not their subtrees

	m        meta
	pageSize int64
	seen     map[uint64]bool // reachable pages (first page of each span)
	freed    map[uint64]bool
	problems []string
	notes    []string // recoverable findings (an invalid spare meta page)
	pages    int      // pages visited
}

func (v *verifier) problem(format string, args ...any) {
	if len(v.problems) == maxProblems {
		v.problems = append(v.problems, "too many problems; stopped listing")
	}
	if len(v.problems) <= maxProblems {
		v.problems = append(v.problems, fmt.Sprintf(format, args...))
	}
}

func (v *verifier) run() {
	if v.size == 0 {
		v.problem("the file is empty (0 bytes)")
		return
	}
	if !v.readMetas() {
		return
	}
	if v.m.hwm < 2 || v.m.hwm > uint64(v.size)/uint64(v.pageSize) {
		v.problem("truncated: the meta page says %d pages of %d bytes (%d bytes) but the file holds %d bytes",
			v.m.hwm, v.pageSize, v.m.hwm*uint64(v.pageSize), v.size)
		return
	}
	v.checkFreelist()
	if v.m.root < 2 || v.m.root >= v.m.hwm {
		v.problem("root bucket page %d is outside the file's %d pages", v.m.root, v.m.hwm)
		return
	}
	v.walk(v.m.root, 0, true)
}

// readMetas finds the page size and the current meta (the valid one with
// the higher transaction id), as bbolt does.
func (v *verifier) readMetas() bool {
	buf := make([]byte, pageHeaderSize+metaSize)
	var metas [2]meta
	var errs [2]error
	n, err := v.f.ReadAt(buf, 0)
	metas[0], errs[0] = parseMeta(buf[:n])
	if err != nil && n < len(buf) {
		errs[0] = fmt.Errorf("read: %w", err)
	}
	ps := int64(0)
	if errs[0] == nil {
		ps = int64(metas[0].pageSize)
	} else { // page size unknown: probe where meta 1 would start, as bbolt does
		for sz := int64(minPageSize); sz <= maxPageSize && sz < v.size; sz <<= 1 {
			if got, _ := v.f.ReadAt(buf, sz); got == len(buf) {
				if m, merr := parseMeta(buf); merr == nil && int64(m.pageSize) == sz {
					ps = sz
					break
				}
			}
		}
	}
	if ps < minPageSize || ps > maxPageSize || bits.OnesCount64(uint64(ps)) != 1 {
		if errs[0] == nil {
			errs[0] = fmt.Errorf("page size %d is not a power of two in [%d, %d]", ps, minPageSize, maxPageSize)
		}
		v.problem("no valid meta page: meta 0: %v; meta 1: not found at any page size", errs[0])
		return false
	}
	v.pageSize = ps
	n, err = v.f.ReadAt(buf, ps)
	metas[1], errs[1] = parseMeta(buf[:n])
	if err != nil && n < len(buf) {
		errs[1] = fmt.Errorf("read: %w", err)
	}
	cur := -1
	for i := range 2 {
		if errs[i] == nil && int64(metas[i].pageSize) == ps && (cur < 0 || metas[i].txid > metas[cur].txid) {
			cur = i
		}
	}
	if cur < 0 {
		v.problem("no valid meta page: meta 0: %v; meta 1: %v", errs[0], errs[1])
		return false
	}
	if other := 1 - cur; errs[other] != nil {
		v.notes = append(v.notes, fmt.Sprintf("meta page %d is invalid (%v): bbolt uses meta page %d (transaction %d); "+
			"a commit interrupted by a crash leaves this, and the next write repairs it, but a write that was "+
			"being committed may be lost", other, errs[other], cur, metas[cur].txid))
	}
	v.m = metas[cur]
	return true
}

// readPage returns the page span starting at id (header and overflow
// pages), or "" and a problem when it does not fit the file.
func (v *verifier) readPage(id uint64, what string) []byte {
	if id >= v.m.hwm {
		v.problem("%s page %d is beyond the high-water mark %d", what, id, v.m.hwm)
		return nil
	}
	hdr := make([]byte, pageHeaderSize)
	if _, err := v.f.ReadAt(hdr, int64(id)*v.pageSize); err != nil {
		v.problem("%s page %d: read: %v", what, id, err)
		return nil
	}
	if got := ne.Uint64(hdr); got != id {
		v.problem("%s page %d: header says page %d", what, id, got)
		return nil
	}
	overflow := uint64(ne.Uint32(hdr[12:]))
	if id+overflow >= v.m.hwm {
		v.problem("%s page %d: %d overflow pages run past the high-water mark %d", what, id, overflow, v.m.hwm)
		return nil
	}
	buf := make([]byte, (1+overflow)*uint64(v.pageSize))
	if _, err := v.f.ReadAt(buf, int64(id)*v.pageSize); err != nil {
		v.problem("%s page %d: read %d bytes: %v", what, id, len(buf), err)
		return nil
	}
	v.pages++
	return buf
}

func (v *verifier) checkFreelist() {
	if v.m.freelist == noFreelist {
		return
	}
	if v.m.freelist < 2 {
		v.problem("freelist page %d overlaps the meta pages", v.m.freelist)
		return
	}
	p := v.readPage(v.m.freelist, "freelist")
	if p == nil {
		return
	}
	if flags := ne.Uint16(p[8:]); flags != flagFreelist {
		v.problem("freelist page %d has type %#x, want freelist", v.m.freelist, flags)
		return
	}
	start, count := uint64(pageHeaderSize), uint64(ne.Uint16(p[10:]))
	if count == freelistSpills {
		count, start = ne.Uint64(p[start:]), start+8
	}
	if count > (uint64(len(p))-start)/8 {
		v.problem("freelist page %d lists %d pages but holds room for %d", v.m.freelist, count, (uint64(len(p))-start)/8)
		return
	}
	for i := range count {
		id := ne.Uint64(p[start+8*i:])
		switch {
		case id < 2 || id >= v.m.hwm:
			v.problem("freelist lists page %d, outside [2, %d)", id, v.m.hwm)
		case v.freed[id]:
			v.problem("freelist lists page %d twice", id)
		}
		v.freed[id] = true
	}
}

// walk checks the B+tree page at id and, unless quick mode stops at a
// bucket root, its children and sub-buckets.
func (v *verifier) walk(id uint64, depth int, descend bool) {
	if len(v.problems) > maxProblems {
		return
	}
	if depth > maxTreeDepth {
		v.problem("page %d: tree deeper than %d levels (a cycle?)", id, maxTreeDepth)
		return
	}
	if v.seen[id] {
		v.problem("page %d is referenced twice", id)
		return
	}
	v.seen[id] = true
	if v.freed[id] {
		v.problem("page %d is in use and on the freelist", id)
	}
	p := v.readPage(id, "tree")
	if p == nil {
		return
	}
	v.walkNode(p, fmt.Sprintf("page %d", id), depth, descend)
}

// walkNode checks one branch or leaf node held in p (a page span, or an
// inline bucket's page inside a value).
func (v *verifier) walkNode(p []byte, where string, depth int, descend bool) {
	flags, count := ne.Uint16(p[8:]), int(ne.Uint16(p[10:]))
	if flags != flagBranch && flags != flagLeaf {
		v.problem("%s has type %#x, want branch or leaf", where, flags)
		return
	}
	if pageHeaderSize+count*elemSize > len(p) {
		v.problem("%s: %d elements do not fit in %d bytes", where, count, len(p))
		return
	}
	for i := range count {
		e := p[pageHeaderSize+i*elemSize:]
		at := pageHeaderSize + i*elemSize
		if flags == flagBranch {
			pos, ksize := uint64(ne.Uint32(e[0:])), uint64(ne.Uint32(e[4:]))
			if uint64(at)+pos+ksize > uint64(len(p)) {
				v.problem("%s: branch element %d points past the page", where, i)
				return
			}
			if descend {
				v.walk(ne.Uint64(e[8:]), depth+1, descend)
			}
			continue
		}
		lflags, pos, ksize, vsize := ne.Uint32(e[0:]), uint64(ne.Uint32(e[4:])), uint64(ne.Uint32(e[8:])), uint64(ne.Uint32(e[12:]))
		end := uint64(at) + pos + ksize + vsize
		if end > uint64(len(p)) {
			v.problem("%s: leaf element %d points past the page", where, i)
			return
		}
		if lflags&leafIsBucket != 0 {
			v.checkBucket(p[uint64(at)+pos+ksize:end], fmt.Sprintf("%s element %d", where, i), depth, descend)
		}
	}
}

// checkBucket checks a bucket value: its root page, or its inline page.
func (v *verifier) checkBucket(val []byte, where string, depth int, descend bool) {
	if len(val) < bucketHdrSize {
		v.problem("%s: bucket header of %d bytes", where, len(val))
		return
	}
	root := ne.Uint64(val)
	if root == 0 { // inline bucket: a leaf page inside the value
		inline := val[bucketHdrSize:]
		if len(inline) < pageHeaderSize {
			v.problem("%s: inline bucket of %d bytes", where, len(inline))
			return
		}
		v.walkNode(inline, where+" (inline bucket)", depth+1, descend)
		return
	}
	if root < 2 {
		v.problem("%s: bucket root page %d overlaps the meta pages", where, root)
		return
	}
	// In quick mode the root bucket's own tree is walked whole (it holds
	// a handful of buckets) and each bucket's root page is checked, not
	// its subtree.
	v.walk(root, depth+1, descend && !v.quick)
}
