package prefilter

import (
	"encoding/binary"
	"fmt"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"go4.org/netipx"
	"golang.org/x/sys/unix"
)

// create writes, in one transaction: the table (replacing a leftover one of
// the same name), its two interval sets, and an input chain that drops or
// rejects SYNs to the port from sources outside them:
//
//	table inet NAME {
//	  set allow4 { type ipv4_addr; flags interval; elements = { ... } }
//	  set allow6 { type ipv6_addr; flags interval; elements = { ... } }
//	  chain input { type filter hook input priority filter - 10; policy accept;
//	    meta nfproto ipv4 tcp dport PORT tcp flags & (fin|syn|rst|ack) == syn ip saddr != @allow4 counter drop
//	    meta nfproto ipv6 tcp dport PORT tcp flags & (fin|syn|rst|ack) == syn ip6 saddr != @allow6 counter drop
//	  }
//	}
func (f *Filter) create(r4, r6 []netipx.IPRange) error {
	c := f.conn
	f.table = &nftables.Table{Family: nftables.TableFamilyINet, Name: f.cfg.Table}
	c.AddTable(f.table) // add, delete, add: replaces a leftover table atomically
	c.DelTable(f.table)
	c.AddTable(f.table)
	f.set4 = &nftables.Set{Table: f.table, Name: "allow4", KeyType: nftables.TypeIPAddr, Interval: true}
	f.set6 = &nftables.Set{Table: f.table, Name: "allow6", KeyType: nftables.TypeIP6Addr, Interval: true}
	if err := c.AddSet(f.set4, elements(r4, 4)); err != nil {
		return fmt.Errorf("add set allow4: %w", err)
	}
	if err := c.AddSet(f.set6, elements(r6, 16)); err != nil {
		return fmt.Errorf("add set allow6: %w", err)
	}
	accept := nftables.ChainPolicyAccept
	ch := c.AddChain(&nftables.Chain{
		Name: "input", Table: f.table, Type: nftables.ChainTypeFilter,
		Hooknum: nftables.ChainHookInput, Priority: nftables.ChainPriorityRef(-10), Policy: &accept,
	})
	c.AddRule(&nftables.Rule{Table: f.table, Chain: ch, Exprs: f.rule(unix.NFPROTO_IPV4, 12, 4, f.set4)})
	c.AddRule(&nftables.Rule{Table: f.table, Chain: ch, Exprs: f.rule(unix.NFPROTO_IPV6, 8, 16, f.set6)})
	return c.Flush()
}

// rule returns the expressions of one family's rule: the source address
// is at off in the network header and n bytes long.
func (f *Filter) rule(proto byte, off, n uint32, set *nftables.Set) []expr.Any {
	port := binary.BigEndian.AppendUint16(nil, f.cfg.Port)
	const synMask = 0x17 // fin|syn|rst|ack
	var verdict expr.Any = &expr.Verdict{Kind: expr.VerdictDrop}
	if f.cfg.Action == Reject {
		verdict = &expr.Reject{Type: unix.NFT_REJECT_TCP_RST}
	}
	return []expr.Any{
		&expr.Meta{Key: expr.MetaKeyNFPROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{unix.IPPROTO_TCP}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: port},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 13, Len: 1},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 1, Mask: []byte{synMask}, Xor: []byte{0}},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{0x02}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: off, Len: n},
		&expr.Lookup{SourceRegister: 1, SetName: set.Name, SetID: set.ID, Invert: true},
		&expr.Counter{},
		verdict,
	}
}

// replace swaps both sets' elements in one transaction: a connection never
// sees a half-written set.
func (f *Filter) replace(r4, r6 []netipx.IPRange) error {
	c := f.conn
	c.FlushSet(f.set4)
	c.FlushSet(f.set6)
	if e := elements(r4, 4); len(e) > 0 {
		if err := c.SetAddElements(f.set4, e); err != nil {
			return fmt.Errorf("add elements to allow4: %w", err)
		}
	}
	if e := elements(r6, 16); len(e) > 0 {
		if err := c.SetAddElements(f.set6, e); err != nil {
			return fmt.Errorf("add elements to allow6: %w", err)
		}
	}
	return c.Flush()
}

// elements encodes ranges as interval-set elements: a start key, and an
// interval-end key one past the range's last address (none when the range
// reaches the family's last address). Like nft, an interval end at the
// zero address opens the set when no range starts there.
func elements(rs []netipx.IPRange, n int) []nftables.SetElement {
	if len(rs) == 0 {
		return nil
	}
	key := func(a interface{ AsSlice() []byte }) []byte { return a.AsSlice() }
	out := make([]nftables.SetElement, 0, 2*len(rs)+1)
	if !rs[0].From().IsUnspecified() {
		out = append(out, nftables.SetElement{Key: make([]byte, n), IntervalEnd: true})
	}
	for _, r := range rs {
		out = append(out, nftables.SetElement{Key: key(r.From())})
		if next := r.To().Next(); next.IsValid() {
			out = append(out, nftables.SetElement{Key: key(next), IntervalEnd: true})
		}
	}
	return out
}
