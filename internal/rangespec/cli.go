package rangespec

import (
	"net/netip"
	"strings"
)

// The exact texts of az's validate_ip_ranges (core and aks-preview) and of
// the managed-cluster decorator, from aks-behaviour.md §1.2–1.4. The first
// has no space after "ranges.": az concatenates two literals.
const (
	MsgCLIEgressMixed = "Setting --api-server-authorized-ip-ranges to 0.0.0.0/32 is not allowed with other IP ranges." +
		"Refer to https://aka.ms/aks/whitelist for more details"
	MsgCLIDisabledAndEnabled = "--api-server-authorized-ip-ranges cannot be disabled and simultaneously enabled"
	MsgCLIInvalid            = "--api-server-authorized-ip-ranges should be a list of IPv4 addresses or CIDRs"
	MsgCLINotGlobal          = "--api-server-authorized-ip-ranges must be global non-reserved addresses or CIDRs"
	MsgCLIIPv6               = "--api-server-authorized-ip-ranges cannot be IPv6 addresses"
	MsgBasicLoadBalancer     = "--api-server-authorized-ip-ranges can only be used with standard load balancer"
	MsgPrivateCluster        = "--api-server-authorized-ip-ranges is not supported for private cluster"
)

const egressOnly = "0.0.0.0/32"

var egressOnlyPrefix = netip.MustParsePrefix(egressOnly)

// parseCLI applies az's validate_ip_ranges to the stripped items, then (only
// if the validator passed, as az stops at the first error) the decorator's
// load-balancer and private-cluster rules. Unlike az, which raises at the
// first problem, it reports every item's problem; the first reported is
// the one az shows.
//
// A whitespace-only string ("   ") passes az's validator and becomes [""];
// it parses here as Disabled, after the decorator rules.
func parseCLI(items []string, opt Options) (Spec, error) {
	var p problems
	if len(items) > 1 && contains(items, egressOnly) {
		p.add(-1, egressOnly, ErrEgressMixed, MsgCLIEgressMixed)
	}
	if len(items) > 1 && contains(items, "") {
		p.add(-1, "", ErrDisabledAndEnabled, MsgCLIDisabledAndEnabled)
	}
	spec := Spec{}
	for i, item := range items {
		e, ok := cliEntry(i, item, opt.Mode, &p)
		if ok {
			spec.Entries = append(spec.Entries, e)
		}
	}
	if len(p) == 0 {
		if strings.EqualFold(opt.LoadBalancerSKU, "basic") {
			p.add(-1, "", ErrBasicLoadBalancer, MsgBasicLoadBalancer)
		}
		if opt.PrivateCluster {
			p.add(-1, "", ErrPrivateCluster, MsgPrivateCluster)
		}
	}
	if err := p.err(); err != nil {
		return Spec{}, err
	}
	switch {
	case len(items) == 1 && items[0] == "":
		return Spec{Disabled: true}, nil
	case len(items) == 1 && items[0] == egressOnly:
		spec.EgressOnly = true
	}
	return spec, nil
}

// cliEntry checks one item as the validator's loop does.
func cliEntry(i int, item string, mode Mode, p *problems) (Entry, bool) {
	if item == "" {
		return Entry{}, false
	}
	if item == egressOnly {
		return Entry{Raw: item, Prefix: egressOnlyPrefix}, true
	}
	pfx, ok := pyNetwork(item)
	switch {
	case !ok && mode == ModePreviewCLI:
		// except ValueError: pass — a tag candidate, left to the RP.
		return Entry{Raw: item, Tag: item}, true
	case !ok:
		p.add(i, item, ErrInvalidRange, MsgCLIInvalid)
	case !pyIsGlobal(pfx):
		p.add(i, item, ErrNotGlobal, MsgCLINotGlobal)
	case pfx.Addr().Is6():
		p.add(i, item, ErrIPv6, MsgCLIIPv6)
	default:
		return Entry{Raw: item, Prefix: pfx}, true
	}
	return Entry{}, false
}

func contains(items []string, s string) bool {
	for _, it := range items {
		if it == s {
			return true
		}
	}
	return false
}
