package routecompile

import (
	"strconv"
)

// commit records p as the list in force. c.mu is held.
func (c *Compiler) commit(p *pending) {
	for low, set := range p.good {
		if old := c.lastGood[low]; old != set {
			set.refs++
			c.lastGood[low] = set
			if old != nil {
				c.release(old)
			}
		}
	}
	for _, s := range p.refs {
		s.refs++
	}
	for _, n := range p.names {
		c.nameRefs[n]++
	}
	old := c.lists[p.name]
	c.lists[p.name] = &listState{res: p.res, refs: p.refs, names: p.names}
	if old != nil {
		c.drop(old)
	}
	c.sweep(p.created)
}

// forget drops a list's state. c.mu is held.
func (c *Compiler) forget(name string) {
	if ls := c.lists[name]; ls != nil {
		delete(c.lists, name)
		c.drop(ls)
	}
}

// drop releases what a replaced or forgotten list held.
func (c *Compiler) drop(ls *listState) {
	for _, s := range ls.refs {
		c.release(s)
	}
	for _, n := range ls.names {
		c.nameRefs[n]--
		if c.nameRefs[n] > 0 {
			continue
		}
		delete(c.nameRefs, n)
		if lg := c.lastGood[n]; lg != nil {
			delete(c.lastGood, n)
			c.release(lg)
		}
	}
}

// String names the compiler state for debugging: lists and sets.
func (s Stats) String() string {
	return "lists " + strconv.Itoa(s.Lists) + ", degraded " + strconv.Itoa(s.Degraded) +
		", stale tags " + strconv.Itoa(s.StaleTags) + ", tag sets " + strconv.Itoa(s.TagSets)
}
