package routecompile

import (
	"crypto/sha256"
	"encoding/binary"

	"github.com/tagwall/tagwall/internal/allowlist"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// setKey is a tag version: its canonical name, changeNumber and a
// fingerprint of its prefixes.
type setKey struct {
	name string
	cn   int64
	fp   [16]byte
}

// cached is one compiled tag version and the number of holders: lists
// whose allowlists reference it, plus one while it is a tag's last good
// set.
type cached struct {
	key  setKey
	set  *allowlist.TagSet
	ptr  *servicetag.Tag // the tag it was last resolved from (byPtr key)
	refs int
}

// get returns the compiled set for t, from the cache when the same version
// is held (by pointer, then by key), else compiled now. New sets are
// recorded in p.created so a failed compilation can drop them. c.mu is
// held.
func (c *Compiler) get(t *servicetag.Tag, p *pending) *cached {
	if s := c.byPtr[t]; s != nil {
		return s
	}
	k := setKey{name: t.Name, cn: t.ChangeNumber, fp: fingerprint(t)}
	s := c.sets[k]
	if s == nil {
		s = &cached{key: k, set: allowlist.NewTagSet(t.Name, t.ChangeNumber, t.Prefixes)}
		c.sets[k] = s
		p.created = append(p.created, s)
	}
	// One memo pointer per set, so an old document is not kept alive by it.
	if s.ptr != nil {
		delete(c.byPtr, s.ptr)
	}
	s.ptr = t
	c.byPtr[t] = s
	return s
}

// release drops one holder of s, and s itself with the last.
func (c *Compiler) release(s *cached) {
	s.refs--
	if s.refs <= 0 {
		c.remove(s)
	}
}

// sweep removes the sets of candidates that no one holds (created by a
// compilation that failed or did not keep them).
func (c *Compiler) sweep(candidates []*cached) {
	for _, s := range candidates {
		if s.refs <= 0 {
			c.remove(s)
		}
	}
}

// unmemo forgets the tag pointer s was last resolved from.
func (c *Compiler) unmemo(s *cached) {
	if s.ptr != nil && c.byPtr[s.ptr] == s {
		delete(c.byPtr, s.ptr)
	}
	s.ptr = nil
}

func (c *Compiler) remove(s *cached) {
	if c.sets[s.key] == s {
		delete(c.sets, s.key)
	}
	if s.ptr != nil && c.byPtr[s.ptr] == s {
		delete(c.byPtr, s.ptr)
	}
}

// fingerprint hashes a tag's prefixes in order (SHA-256, truncated): the
// content half of its version.
func fingerprint(t *servicetag.Tag) [16]byte {
	h := sha256.New()
	var buf [18 * 64]byte
	n := 0
	for _, p := range t.Prefixes {
		a := p.Addr().As16()
		copy(buf[n:], a[:])
		buf[n+16] = byte(p.Bits())
		if p.Addr().Is4() {
			buf[n+17] = 4
		} else {
			buf[n+17] = 6
		}
		n += 18
		if n == len(buf) {
			h.Write(buf[:])
			n = 0
		}
	}
	h.Write(buf[:n])
	var cnt [8]byte
	binary.BigEndian.PutUint64(cnt[:], uint64(len(t.Prefixes)))
	h.Write(cnt[:])
	var out [16]byte
	copy(out[:], h.Sum(nil))
	return out
}
