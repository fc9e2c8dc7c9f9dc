package allowlist

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	tag := NewTagSet("AzureCloud", 272, []netip.Prefix{
		netip.MustParsePrefix("20.0.0.0/8"),
		netip.MustParsePrefix("20.38.0.0/16"),
		netip.MustParsePrefix("2603:1000::/24"),
	})
	var b Builder
	b.AddPrefix(netip.MustParsePrefix("20.20.20.20/32"), "20.20.20.20")
	b.AddTag(tag, "azurecloud")
	b.AddPrefix(netip.MustParsePrefix("1.2.3.0/24"), "1.2.3.0/24")
	list, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	var ab Builder
	ab.AllowAll()
	disabled, _ := ab.Build()
	tests := []struct {
		name string
		list *List
		addr string
		want Decision
	}{
		{name: "own entry decides first", list: list, addr: "20.20.20.20", want: Decision{Allowed: true,
			Entry: "20.20.20.20", Prefix: netip.MustParsePrefix("20.20.20.20/32"), Reason: "matched 20.20.20.20/32"}},
		{name: "tag with its most specific prefix", list: list, addr: "20.38.7.7", want: Decision{Allowed: true,
			Entry: "azurecloud", Tag: "AzureCloud", Prefix: netip.MustParsePrefix("20.38.0.0/16"), ChangeNumber: 272,
			Reason: "matched 20.38.0.0/16 of service tag AzureCloud (change 272)"}},
		{name: "tag ipv6", list: list, addr: "2603:10ab::1", want: Decision{Allowed: true,
			Entry: "azurecloud", Tag: "AzureCloud", Prefix: netip.MustParsePrefix("2603:1000::/24"), ChangeNumber: 272,
			Reason: "matched 2603:1000::/24 of service tag AzureCloud (change 272)"}},
		{name: "mapped address", list: list, addr: "::ffff:1.2.3.4", want: Decision{Allowed: true,
			Entry: "1.2.3.0/24", Prefix: netip.MustParsePrefix("1.2.3.0/24"), Reason: "matched 1.2.3.0/24"}},
		{name: "denied", list: list, addr: "21.0.0.1", want: Decision{Reason: "not in any entry"}},
		{name: "disabled list", list: disabled, addr: "21.0.0.1", want: Decision{Allowed: true, Reason: "list disabled"}},
		{name: "nil list", list: nil, addr: "20.20.20.20", want: Decision{Reason: "no list (deny)"}},
		{name: "invalid address", list: list, addr: "", want: Decision{Reason: "invalid address"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a netip.Addr
			if tt.addr != "" {
				a = netip.MustParseAddr(tt.addr)
			}
			if got := tt.list.Explain(a); got != tt.want {
				t.Errorf("Explain(%v) = %+v, want %+v", a, got, tt.want)
			}
			if got := tt.list.Contains(a); got != tt.want.Allowed {
				t.Errorf("Contains(%v) = %v, Explain says %v", a, got, tt.want.Allowed)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name    string
		add     func(b *Builder)
		want    []string // error substrings; none means no error
		wantErr error
		admits  string // an address the list must still admit
	}{
		{name: "host bits", add: func(b *Builder) {
			b.AddPrefix(netip.MustParsePrefix("137.117.106.90/29"), "137.117.106.90/29")
			b.AddPrefix(netip.MustParsePrefix("20.20.20.20/32"), "20.20.20.20")
		}, want: []string{`"137.117.106.90/29"`, `did you mean "137.117.106.88/29"`}, wantErr: ErrHostBits, admits: "20.20.20.20"},
		{name: "invalid prefix", add: func(b *Builder) { b.AddPrefix(netip.Prefix{}, "x") },
			want: []string{`entry "x"`}, wantErr: ErrInvalidPrefix},
		{name: "nil tag", add: func(b *Builder) { b.AddTag(nil, "AzureCloud") },
			want: []string{`entry "AzureCloud"`}, wantErr: ErrNilTagSet},
		{name: "all errors at once", add: func(b *Builder) {
			b.AddTag(nil, "A")
			b.AddPrefix(netip.Prefix{}, "B")
			b.AddPrefix(netip.MustParsePrefix("1.2.3.4/8"), "C")
		}, want: []string{`"A"`, `"B"`, `"C"`}, wantErr: ErrNilTagSet},
		{name: "mapped prefix becomes ipv4", add: func(b *Builder) {
			b.AddPrefix(netip.MustParsePrefix("::ffff:20.20.20.0/120"), "mapped")
		}, admits: "20.20.20.20"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b Builder
			tt.add(&b)
			l, err := b.Build()
			if len(tt.want) == 0 && err != nil {
				t.Fatalf("Build() error %v", err)
			}
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("Build() error %v, want it to contain %q", err, w)
				}
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Build() error %v, want errors.Is %v", err, tt.wantErr)
			}
			if tt.admits != "" && !l.Contains(netip.MustParseAddr(tt.admits)) {
				t.Errorf("list does not admit %s", tt.admits)
			}
		})
	}
}

func TestTagSetShared(t *testing.T) {
	tag := NewTagSet("AzureCloud", 272, []netip.Prefix{
		netip.MustParsePrefix("20.38.0.0/16"),
		netip.MustParsePrefix("20.38.0.0/16"),
		netip.MustParsePrefix("20.38.1.0/24"),
		{},
		netip.MustParsePrefix("1.2.3.4/24"), // host bits: masked
	})
	if tag.Len() != 4 || tag.Name() != "AzureCloud" || tag.ChangeNumber() != 272 {
		t.Errorf("tag = %q %d len %d", tag.Name(), tag.ChangeNumber(), tag.Len())
	}
	if !tag.Contains(netip.MustParseAddr("1.2.3.255")) {
		t.Error("masked prefix not compiled")
	}
	var b1, b2 Builder
	b1.AddTag(tag, "AzureCloud")
	b1.AddTag(tag, "AzureCloud") // same tag twice: referenced once
	b2.AddTag(tag, "AzureCloud")
	l1, _ := b1.Build()
	l2, _ := b2.Build()
	if len(l1.Tags()) != 1 || l1.Tags()[0] != tag || l2.Tags()[0] != tag {
		t.Error("lists do not share the TagSet")
	}
	var nilTag *TagSet
	if nilTag.Contains(netip.MustParseAddr("20.38.0.1")) {
		t.Error("nil TagSet admits")
	}
}

func TestListParts(t *testing.T) {
	tag := NewTagSet("T", 1, []netip.Prefix{netip.MustParsePrefix("20.0.0.0/8"), netip.MustParsePrefix("2603:1000::/24")})
	var b Builder
	b.AddPrefix(netip.MustParsePrefix("1.2.3.0/24"), "1.2.3.0/24")
	b.AddTag(tag, "T")
	b.AddPrefix(netip.MustParsePrefix("5.6.7.8/32"), "5.6.7.8")
	b.AddTag(tag, "T again")
	l, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	own, tags, all := l.Parts()
	if got, want := fmt.Sprint(own), "[1.2.3.0/24 5.6.7.8/32]"; got != want || all {
		t.Errorf("own prefixes %s (all %v), want %s", got, all, want)
	}
	if len(tags) != 1 || tags[0] != tag || fmt.Sprint(tags[0].Prefixes()) != "[20.0.0.0/8 2603:1000::/24]" {
		t.Errorf("tags %v, want T once", tags)
	}
	var allB Builder
	allB.AllowAll()
	la, _ := allB.Build()
	if own, tags, all := la.Parts(); !all || own != nil || tags != nil {
		t.Errorf("disabled list: %v %v %v", own, tags, all)
	}
	if own, tags, all := (*List)(nil).Parts(); own != nil || tags != nil || all {
		t.Error("nil list has parts")
	}
}
