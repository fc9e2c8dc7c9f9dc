package rangespec

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// Exact texts of the AKS resource provider (aks-behaviour.md §1.5, §2.4).
const (
	MsgServerEgressMixed = "Setting apiServerAuthorizedIPRange to 0.0.0.0/32 is not allowed with other IP ranges. " +
		"Refer to https://aka.ms/aks/auth-ip-ranges for more details"
	msgServerTooMany = "The number of APIServer Authorized IP Ranges is greater than the allowed value %d."
	// MsgServerPrivateCluster is the RP's answer to ranges on a private
	// cluster: Code="InvalidParameter" Message="Private cluster cannot be
	// enabled with AuthorizedIPRanges." (quoted from a Terraform run,
	// aquasecurity/tfsec #571). The CLI's own text is MsgPrivateCluster.
	MsgServerPrivateCluster = "Private cluster cannot be enabled with AuthorizedIPRanges."
)

// The feature a subscription registers before it may use tags, and AKS's
// two answers to a preview property used without it.
const (
	ServiceTagFeature = "Microsoft.ContainerService/EnableServiceTagAuthorizedIPPreview"
	// CodePreviewFeatureNotRegistered and MsgPreviewFeatureNotRegistered:
	// the flag is not Registered. AKS: {"code": "PreviewFeatureNotRegistered",
	// "message": "Preview feature Microsoft.ContainerService/CustomNodeConfigPreview
	// not registered."} (Azure/ResourceModules #820).
	CodePreviewFeatureNotRegistered = "PreviewFeatureNotRegistered"
	MsgPreviewFeatureNotRegistered  = "Preview feature " + ServiceTagFeature + " not registered."
	// CodeFeatureNotEnabled and MsgFeatureNotEnabled: the flag is
	// Registered but the provider was not registered again after it, so
	// the RP has not seen it. AKS's older answer: Code="BadRequest"
	// Message="Feature Microsoft.ContainerService/AutoUpgradePreview is not
	// enabled. Please see https://aka.ms/aks/previews for how to enable
	// features." (Azure/AKS #2587, #2515; AKS-Construction #411).
	CodeFeatureNotEnabled = "BadRequest"
	MsgFeatureNotEnabled  = "Feature " + ServiceTagFeature + " is not enabled. Please see https://aka.ms/aks/previews for how to enable features."
)

// The tagwall preview feature that lets a managed cluster's list name tags
// of other clouds' published ranges (GitHub, AWS, …), registered as the
// seed's flag is and refused with AKS's two answers in the same words.
const (
	ExternalTagsFeature             = "Microsoft.ContainerService/EnableExternalServiceTagsPreview"
	MsgExternalFeatureNotRegistered = "Preview feature " + ExternalTagsFeature + " not registered."
	MsgExternalFeatureNotEnabled    = "Feature " + ExternalTagsFeature + " is not enabled. Please see https://aka.ms/aks/previews for how to enable features."
)

// serverChecker applies the ModeServer and ModeStandalone rules.
type serverChecker struct {
	opt      Options
	p        problems
	firstTag string   // canonical name of the first valid Azure tag (server)
	tags     []string // canonical names of the valid tags so far (server)
}

// parseServer checks every item, then returns the normalised, deduplicated
// list or every problem. Duplicates (same normalised form, e.g. 1.2.3.4
// and 1.2.3.4/32, or AzureCloud and azurecloud) are accepted and kept once,
// at the first position; the limit counts the items as given.
func parseServer(items []string, opt Options) (Spec, error) {
	c := &serverChecker{opt: opt}
	c.listRules(items)
	entries := make([]Entry, 0, len(items))
	for i, item := range items {
		if e, ok := c.entry(i, item); ok {
			entries = append(entries, e)
		}
	}
	if err := c.p.err(); err != nil {
		return Spec{}, err
	}
	spec := Spec{Entries: dedupe(entries)}
	spec.EgressOnly = len(spec.Entries) == 1 && !spec.Entries[0].IsTag() && spec.Entries[0].Prefix == egressOnlyPrefix
	return spec, nil
}

func (c *serverChecker) server() bool { return c.opt.Mode == ModeServer }

// name prefixes a message with the entry it is about.
func (c *serverChecker) name(i int, item string) string {
	return fmt.Sprintf("%s[%d] %q: ", c.opt.field(), i, item)
}

func (c *serverChecker) listRules(items []string) {
	if c.server() && c.opt.PrivateCluster {
		c.p.add(-1, "", ErrPrivateCluster, MsgServerPrivateCluster)
	}
	limit := MaxEntriesStandalone
	if c.server() {
		limit = MaxEntries
		if c.opt.VnetIntegration {
			limit = MaxEntriesVnet
		}
	}
	if len(items) > limit {
		if c.server() {
			c.p.add(-1, "", ErrTooMany, msgServerTooMany, limit)
		} else {
			c.p.add(-1, "", ErrTooMany, "%s: %d entries is more than the allowed %d", c.opt.field(), len(items), limit)
		}
	}
	if len(items) < 2 {
		return
	}
	for i, item := range items {
		if p, ok := parseAddress(item); ok && p == egressOnlyPrefix {
			if c.server() {
				c.p.add(-1, item, ErrEgressMixed, MsgServerEgressMixed)
			} else {
				c.p.add(-1, item, ErrEgressMixed, "%s0.0.0.0/32 (egress only) is not allowed with other ranges", c.name(i, item))
			}
			return
		}
	}
}

// entry checks one item; ok reports whether it is valid.
func (c *serverChecker) entry(i int, item string) (Entry, bool) {
	if item == "" {
		c.p.add(i, item, ErrEmptyEntry, "%sempty entry: remove it, or send an empty list to disable authorized IP ranges", c.name(i, item))
		return Entry{}, false
	}
	p, ok := parseAddress(item)
	switch {
	case ok && p != p.Masked():
		c.p.add(i, item, ErrHostBits, "%shost bits are set: the range starts at its network address, %q", c.name(i, item), p.Masked().String())
	case ok && c.server() && p != egressOnlyPrefix && !serverIsGlobal(p):
		c.p.add(i, item, ErrNotGlobal, "%smust be global non-reserved addresses or CIDRs", c.name(i, item))
	case ok:
		return Entry{Raw: item, Prefix: p}, true
	case TagShaped(item):
		return c.tag(i, item)
	default:
		c.p.add(i, item, ErrInvalidRange, "%snot a valid IP address, CIDR or service tag name", c.name(i, item))
	}
	return Entry{}, false
}

// tag resolves a tag entry, applying the tag rules in order: feature gate
// (ExternalTagsFeature for a tag of another feed, the seed's flag for any
// other name), VNet integration (server), catalog loaded, name known, the
// count (server).
func (c *serverChecker) tag(i int, item string) (Entry, bool) {
	n := c.name(i, item)
	feed := c.feed(item)
	switch {
	case c.server() && feed != "" && !c.opt.ExternalTagsEnabled:
		// AKS's two answers, as for the seed's flag, naming tagwall's feature.
		code, msg := CodePreviewFeatureNotRegistered, MsgExternalFeatureNotRegistered
		if c.opt.ExternalFeatureRegistered {
			code, msg = CodeFeatureNotEnabled, MsgExternalFeatureNotEnabled
		}
		c.p.addCode(i, item, ErrExternalTagsNotEnabled, code, "%s", msg)
		return Entry{}, false
	case c.server() && feed == "" && !c.opt.ServiceTagsEnabled:
		// AKS's text names no entry; the error's index (the ARM target) does.
		code, msg := CodePreviewFeatureNotRegistered, MsgPreviewFeatureNotRegistered
		if c.opt.FeatureRegistered {
			code, msg = CodeFeatureNotEnabled, MsgFeatureNotEnabled
		}
		c.p.addCode(i, item, ErrTagsNotEnabled, code, "%s", msg)
		return Entry{}, false
	case c.server() && c.opt.VnetIntegration && !c.opt.TagsWithVnetIntegration:
		c.p.add(i, item, ErrTagWithVnetIntegration, "%sservice tags are not supported with API server VNet integration (enableVnetIntegration is true)", n)
		return Entry{}, false
	case c.opt.Tags == nil:
		c.p.add(i, item, ErrNoCatalog, "%sno service-tag data is loaded, so service tag names cannot be resolved; use IP addresses or CIDRs, or retry once the catalog is available", n)
		return Entry{}, false
	}
	canonical, ok := c.opt.Tags.LookupTag(item)
	if !ok {
		c.p.add(i, item, ErrUnknownTag, "%sunknown service tag%s", n, didYouMean(item, c.opt.Tags.TagNames()))
		return Entry{}, false
	}
	if c.server() && !c.count(i, item, canonical, feed) {
		return Entry{}, false
	}
	return Entry{Raw: item, Tag: canonical}, true
}

// count applies the server's tag limits to a known tag: AKS's one Azure
// tag always; with ExternalTagsEnabled at most MaxTagsExternal distinct
// tags in all. It reports whether the tag is within them.
func (c *serverChecker) count(i int, item, canonical, feed string) bool {
	n := c.name(i, item)
	if slices.Contains(c.tags, canonical) {
		return true // the same tag again is one tag
	}
	if feed == "" && c.firstTag != "" {
		if c.opt.ExternalTagsEnabled {
			c.p.add(i, item, ErrTooManyTags, "%sonly one Azure service tag is allowed in %s; %q is already given", n, c.opt.field(), c.firstTag)
		} else {
			c.p.add(i, item, ErrTooManyTags, "%sonly one service tag is allowed in %s; %q is already given", n, c.opt.field(), c.firstTag)
		}
		return false
	}
	if len(c.tags) >= MaxTagsExternal {
		c.p.add(i, item, ErrTooManyTags, "%sat most %d service tags are allowed in %s with %s; %s are already given",
			n, MaxTagsExternal, c.opt.field(), ExternalTagsFeature, quoteList(c.tags))
		return false
	}
	if feed == "" {
		c.firstTag = canonical
	}
	c.tags = append(c.tags, canonical)
	return true
}

// feed returns the feed of a known tag of another cloud (FeedIndex), or "".
func (c *serverChecker) feed(item string) string {
	if fi, ok := c.opt.Tags.(FeedIndex); ok {
		return fi.TagFeed(item)
	}
	return ""
}

// quoteList writes names as "A", "B" and "C".
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " and " + q[len(q)-1]
}

// parseAddress reads an IP address (as a /32 or /128) or a CIDR in Go's
// strict syntax (no leading zeros, no zones); host bits are left for the
// caller to check.
func parseAddress(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p, err == nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	return netip.PrefixFrom(a, a.BitLen()), true
}

// TagShaped reports whether s can be a service-tag name: an ASCII letter,
// then ASCII letters, digits, '.', '-' or '_'. Anything else that is not an
// address (1.2.3.4/33, 01.2.3.4, fe80::1%eth0) is reported as an invalid
// range rather than as an unknown tag.
func TagShaped(s string) bool {
	if s == "" || !isLetter(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		b := s[i]
		if !isLetter(b) && (b < '0' || b > '9') && b != '.' && b != '-' && b != '_' {
			return false
		}
	}
	return true
}

func isLetter(b byte) bool { return (b|0x20) >= 'a' && (b|0x20) <= 'z' }

func dedupe(entries []Entry) []Entry {
	seen := make(map[string]bool, len(entries))
	out := entries[:0]
	for _, e := range entries {
		k := e.String()
		if !seen[k] {
			seen[k] = true
			out = append(out, e)
		}
	}
	return out
}
