package rangespec

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

var (
	optCLI        = Options{Mode: ModeCLI}
	optPreview    = Options{Mode: ModePreviewCLI}
	optServer     = Options{Mode: ModeServer, ServiceTagsEnabled: true, Tags: testTags}
	optServerNoFF = Options{Mode: ModeServer, Tags: testTags}
	optStandalone = Options{Mode: ModeStandalone, Tags: testTags}
)

func with(o Options, f func(*Options)) Options { f(&o); return o }

// ruleCase is one rule of aks-behaviour.md §1.2–1.5/1.7 or of design.md's
// decisions. Input is in (ParseString) unless list is set (ParseList). On
// success want is Strings(); on failure err is FirstError's exact message or
// errSub a substring of it, index its Index, reason its sentinel and nerr
// (when non-zero) the number of errors.
type ruleCase struct {
	name     string
	opt      Options
	in       string
	list     []string
	nilList  bool // call ParseList(nil)
	want     []string
	disabled bool
	egress   bool
	err      string
	errSub   string
	index    int
	reason   error
	nerr     int
}

var ruleCases = []ruleCase{
	// §1.2 core az, rule 1: nothing or "" disables.
	{name: "cli/empty string disables", opt: optCLI, in: "", disabled: true},
	{name: "cli/empty list disables", opt: optCLI, list: []string{}, disabled: true},
	{name: "cli/white space only passes as disabled", opt: optCLI, in: "   ", disabled: true},
	// rule 2: split on "," and strip.
	{name: "cli/items are stripped", opt: optCLI, in: " 1.2.3.4 ,\t5.6.7.0/24 ", want: []string{"1.2.3.4/32", "5.6.7.0/24"}},
	{name: "cli/list form items are stripped", opt: optCLI, list: []string{" 1.2.3.4", "5.6.7.0/24"}, want: []string{"1.2.3.4/32", "5.6.7.0/24"}},
	// rule 3: 0.0.0.0/32 only alone, exact text without a space after "ranges.".
	{name: "cli/egress only alone", opt: optCLI, in: " 0.0.0.0/32 ", egress: true, want: []string{"0.0.0.0/32"}},
	{name: "cli/egress with others", opt: optCLI, in: "0.0.0.0/32,1.2.3.4", index: -1, reason: ErrEgressMixed, nerr: 1,
		err: "Setting --api-server-authorized-ip-ranges to 0.0.0.0/32 is not allowed with other IP ranges.Refer to https://aka.ms/aks/whitelist for more details"},
	{name: "cli/egress twice is still mixed", opt: optCLI, in: "0.0.0.0/32, 0.0.0.0/32", err: MsgCLIEgressMixed, index: -1},
	{name: "cli/egress rule before empty-item rule", opt: optCLI, in: "0.0.0.0/32,", err: MsgCLIEgressMixed, index: -1, nerr: 2},
	// rule 4: an empty item in a list of several.
	{name: "cli/trailing comma", opt: optCLI, in: "1.2.3.4,", index: -1, reason: ErrDisabledAndEnabled,
		err: "--api-server-authorized-ip-ranges cannot be disabled and simultaneously enabled"},
	{name: "cli/leading comma", opt: optCLI, in: ",1.2.3.4", err: MsgCLIDisabledAndEnabled, index: -1},
	{name: "cli/blank items", opt: optCLI, in: " , ", err: MsgCLIDisabledAndEnabled, index: -1},
	// rule 5: ip_network strict parse.
	{name: "cli/bare service tag", opt: optCLI, in: "AzureCloud", index: 0, reason: ErrInvalidRange,
		err: "--api-server-authorized-ip-ranges should be a list of IPv4 addresses or CIDRs"},
	{name: "cli/doc example without aks-preview", opt: optCLI, in: "AzureCloud,20.20.20.20", err: MsgCLIInvalid, index: 0, nerr: 1},
	{name: "cli/host bits /16", opt: optCLI, in: "172.0.0.10/16", err: MsgCLIInvalid, index: 0},
	{name: "cli/host bits /24", opt: optCLI, in: "20.20.20.20,1.2.3.4/24", err: MsgCLIInvalid, index: 1},
	{name: "cli/prefix above 32", opt: optCLI, in: "1.2.3.4/33", err: MsgCLIInvalid, index: 0},
	{name: "cli/leading zero octet", opt: optCLI, in: "01.2.3.4", err: MsgCLIInvalid, index: 0},
	{name: "cli/netmask form is Python-valid", opt: optCLI, in: "20.1.2.0/255.255.255.0", want: []string{"20.1.2.0/24"}},
	{name: "cli/hostmask form is Python-valid", opt: optCLI, in: "20.1.2.0/0.0.0.255", want: []string{"20.1.2.0/24"}},
	{name: "cli/leading zeros in length are Python-valid", opt: optCLI, in: "20.1.2.0/024", want: []string{"20.1.2.0/24"}},
	// rule 5: not is_global, before the IPv6 rule (the §1.2 table).
	{name: "cli/is_global 0.0.0.0/0", opt: optCLI, in: "0.0.0.0/0", want: []string{"0.0.0.0/0"}},
	{name: "cli/is_global 10.0.0.0/8", opt: optCLI, in: "10.0.0.0/8", index: 0, reason: ErrNotGlobal,
		err: "--api-server-authorized-ip-ranges must be global non-reserved addresses or CIDRs"},
	{name: "cli/is_global 192.168.1.0/24", opt: optCLI, in: "192.168.1.0/24", err: MsgCLINotGlobal},
	{name: "cli/is_global 100.64.0.0/10", opt: optCLI, in: "100.64.0.0/10", err: MsgCLINotGlobal},
	{name: "cli/is_global 127.0.0.1", opt: optCLI, in: "127.0.0.1", err: MsgCLINotGlobal},
	{name: "cli/is_global 169.254.1.1", opt: optCLI, in: "169.254.1.1", err: MsgCLINotGlobal},
	{name: "cli/is_global 240.0.0.0/4", opt: optCLI, in: "240.0.0.0/4", err: MsgCLINotGlobal},
	{name: "cli/is_global 255.255.255.255", opt: optCLI, in: "255.255.255.255", err: MsgCLINotGlobal},
	{name: "cli/is_global bare 0.0.0.0", opt: optCLI, in: "0.0.0.0", err: MsgCLINotGlobal},
	{name: "cli/is_global 224.0.0.1 multicast", opt: optCLI, in: "224.0.0.1", want: []string{"224.0.0.1/32"}},
	{name: "cli/is_global 2001:4860::/32 is IPv6", opt: optCLI, in: "2001:4860::/32", index: 0, reason: ErrIPv6,
		err: "--api-server-authorized-ip-ranges cannot be IPv6 addresses"},
	{name: "cli/is_global ::/0 is IPv6", opt: optCLI, in: "::/0", err: MsgCLIIPv6},
	{name: "cli/is_global fd00::/8 not global first", opt: optCLI, in: "fd00::/8", err: MsgCLINotGlobal},
	{name: "cli/first bad item wins", opt: optCLI, in: "20.20.20.20,10.0.0.0/8,AzureCloud", err: MsgCLINotGlobal, index: 1, nerr: 2},
	{name: "cli/order by index", opt: optCLI, in: "AzureCloud,10.0.0.0/8", err: MsgCLIInvalid, index: 0, nerr: 2},
	// rule 6: bare IP accepted as /32.
	{name: "cli/bare ip", opt: optCLI, in: "20.20.20.20", want: []string{"20.20.20.20/32"}},
	// §1.4 decorator rules, only for a non-empty list, after the validator.
	{name: "cli/basic load balancer", opt: with(optCLI, func(o *Options) { o.LoadBalancerSKU = "Basic" }), in: "20.20.20.20",
		err: "--api-server-authorized-ip-ranges can only be used with standard load balancer", index: -1, reason: ErrBasicLoadBalancer},
	{name: "cli/standard load balancer", opt: with(optCLI, func(o *Options) { o.LoadBalancerSKU = "standard" }), in: "20.20.20.20", want: []string{"20.20.20.20/32"}},
	{name: "cli/basic load balancer, disabled list", opt: with(optCLI, func(o *Options) { o.LoadBalancerSKU = "basic" }), in: "", disabled: true},
	{name: "cli/basic load balancer, white space list", opt: with(optCLI, func(o *Options) { o.LoadBalancerSKU = "basic" }), in: "  ", err: MsgBasicLoadBalancer, index: -1},
	{name: "cli/validator before load balancer", opt: with(optCLI, func(o *Options) { o.LoadBalancerSKU = "basic" }), in: "10.0.0.0/8", err: MsgCLINotGlobal, index: 0, nerr: 1},
	{name: "cli/private cluster", opt: with(optCLI, func(o *Options) { o.PrivateCluster = true }), in: "20.20.20.20",
		err: "--api-server-authorized-ip-ranges is not supported for private cluster", index: -1, reason: ErrPrivateCluster},
	{name: "cli/private cluster, disabled list", opt: with(optCLI, func(o *Options) { o.PrivateCluster = true }), in: "", disabled: true},
	{name: "cli/load balancer before private cluster", opt: with(optCLI, func(o *Options) { o.PrivateCluster, o.LoadBalancerSKU = true, "BASIC" }),
		in: "20.20.20.20", err: MsgBasicLoadBalancer, index: -1, nerr: 2},

	// §1.3 aks-preview: unparseable items pass through as tag candidates.
	{name: "preview/doc example", opt: optPreview, in: "AzureCloud,20.20.20.20", want: []string{"AzureCloud", "20.20.20.20/32"}},
	{name: "preview/typo passes", opt: optPreview, in: "AzureClod", want: []string{"AzureClod"}},
	{name: "preview/host bits pass as a tag", opt: optPreview, in: "1.2.3.4/24", want: []string{"1.2.3.4/24"}},
	{name: "preview/leading zero passes", opt: optPreview, in: "01.2.3.4", want: []string{"01.2.3.4"}},
	{name: "preview/several tags pass", opt: optPreview, in: "AzureCloud, Storage", want: []string{"AzureCloud", "Storage"}},
	{name: "preview/not global still refused", opt: optPreview, in: "AzureCloud,10.0.0.0/8", err: MsgCLINotGlobal, index: 1},
	{name: "preview/IPv6 still refused", opt: optPreview, in: "2001:4860::/32", err: MsgCLIIPv6, index: 0},
	{name: "preview/private IPv6 not global", opt: optPreview, in: "fd00::/8", err: MsgCLINotGlobal, index: 0},
	{name: "preview/egress with a tag", opt: optPreview, in: "0.0.0.0/32,AzureCloud", err: MsgCLIEgressMixed, index: -1},
	{name: "preview/empty item", opt: optPreview, in: "AzureCloud,", err: MsgCLIDisabledAndEnabled, index: -1},
	{name: "preview/basic load balancer", opt: with(optPreview, func(o *Options) { o.LoadBalancerSKU = "basic" }), in: "AzureCloud", err: MsgBasicLoadBalancer, index: -1},
	{name: "preview/private cluster", opt: with(optPreview, func(o *Options) { o.PrivateCluster = true }), in: "AzureCloud", err: MsgPrivateCluster, index: -1},

	// §1.5 and design.md decisions: the managed API.
	{name: "server/empty string disables", opt: optServer, in: "", disabled: true},
	{name: "server/white space string disables", opt: optServer, in: "  ", disabled: true},
	{name: "server/empty array disables", opt: optServer, list: []string{}, disabled: true},
	{name: "server/nil array disables", opt: optServer, nilList: true, disabled: true},
	{name: "server/empty item alone", opt: optServer, list: []string{""}, errSub: `authorizedIPRanges[0] "": empty entry`, index: 0, reason: ErrEmptyEntry},
	{name: "server/empty item in a list", opt: optServer, in: "20.20.20.20,", errSub: `authorizedIPRanges[1] "": empty entry`, index: 1, reason: ErrEmptyEntry},
	{name: "server/bare IPv4 to /32", opt: optServer, list: []string{"20.20.20.20", " 40.0.0.0/8 "}, want: []string{"20.20.20.20/32", "40.0.0.0/8"}},
	{name: "server/bare IPv6 to /128", opt: optServer, in: "2001:4860::1", want: []string{"2001:4860::1/128"}},
	{name: "server/IPv6 global unicast", opt: optServer, in: "2001:4860::/32,2a01:110::/31", want: []string{"2001:4860::/32", "2a01:110::/31"}},
	{name: "server/host bits named with masked form", opt: optServer, list: []string{"20.20.20.20", "137.117.106.90/29"}, index: 1, reason: ErrHostBits,
		err: `authorizedIPRanges[1] "137.117.106.90/29": host bits are set: the range starts at its network address, "137.117.106.88/29"`},
	{name: "server/host bits IPv6", opt: optServer, in: "2001:4860::1/32", errSub: `"2001:4860::/32"`, index: 0, reason: ErrHostBits},
	{name: "server/not global names the entry", opt: optServer, list: []string{"20.20.20.20", "10.0.0.0/8"}, index: 1, reason: ErrNotGlobal,
		err: `authorizedIPRanges[1] "10.0.0.0/8": must be global non-reserved addresses or CIDRs`},
	{name: "server/not global 127.0.0.1", opt: optServer, in: "127.0.0.1", errSub: "must be global non-reserved addresses or CIDRs", reason: ErrNotGlobal},
	{name: "server/not global 169.254.1.1", opt: optServer, in: "169.254.1.1", errSub: "must be global non-reserved", reason: ErrNotGlobal},
	{name: "server/not global 100.64.0.0/10", opt: optServer, in: "100.64.0.0/10", errSub: "must be global non-reserved", reason: ErrNotGlobal},
	{name: "server/not global 172.16.5.0/24", opt: optServer, in: "172.16.5.0/24", errSub: "must be global non-reserved", reason: ErrNotGlobal},
	{name: "server/not global 192.168.1.0/24", opt: optServer, in: "192.168.1.0/24", errSub: "must be global non-reserved", reason: ErrNotGlobal},
	{name: "server/not global 240.0.0.0/4", opt: optServer, in: "240.0.0.0/4", errSub: "must be global non-reserved", reason: ErrNotGlobal},
	{name: "server/not global 255.255.255.255", opt: optServer, in: "255.255.255.255", errSub: "must be global non-reserved", reason: ErrNotGlobal},
	{name: "server/not global multicast", opt: optServer, in: "224.0.0.1", errSub: "must be global non-reserved", reason: ErrNotGlobal},
	{name: "server/not global documentation", opt: optServer, in: "198.51.100.0/24", errSub: "must be global non-reserved", reason: ErrNotGlobal},
	{name: "server/not global fd00::/8", opt: optServer, in: "fd00::/8", errSub: "must be global non-reserved", reason: ErrNotGlobal},
	{name: "server/not global fe80::/10", opt: optServer, in: "fe80::/10", errSub: "must be global non-reserved", reason: ErrNotGlobal},
	{name: "server/not global ::1", opt: optServer, in: "::1", errSub: "must be global non-reserved", reason: ErrNotGlobal},
	{name: "server/not global IPv4-mapped", opt: optServer, in: "::ffff:20.20.20.20", errSub: "must be global non-reserved", reason: ErrNotGlobal},
	{name: "server/not global 2001:db8::/32", opt: optServer, in: "2001:db8::/32", errSub: "must be global non-reserved", reason: ErrNotGlobal},
	{name: "server/global exception 2001:3::/32", opt: optServer, in: "2001:3::/32", want: []string{"2001:3::/32"}},
	{name: "server/global exception 192.0.0.9", opt: optServer, in: "192.0.0.9", want: []string{"192.0.0.9/32"}},
	{name: "server/wide prefixes are global", opt: optServer, in: "0.0.0.0/0,::/0,8.0.0.0/5", want: []string{"0.0.0.0/0", "::/0", "8.0.0.0/5"}},
	{name: "server/egress only alone", opt: optServer, list: []string{"0.0.0.0/32"}, egress: true, want: []string{"0.0.0.0/32"}},
	{name: "server/bare 0.0.0.0 is egress only", opt: optServer, list: []string{"0.0.0.0"}, egress: true, want: []string{"0.0.0.0/32"}},
	{name: "server/egress with others, exact RP text", opt: optServer, list: []string{"20.20.20.20", "0.0.0.0/32"}, index: -1, reason: ErrEgressMixed,
		err: "Setting apiServerAuthorizedIPRange to 0.0.0.0/32 is not allowed with other IP ranges. Refer to https://aka.ms/aks/auth-ip-ranges for more details"},
	{name: "server/200 entries", opt: optServer, list: nAddrs(200), want: nAddrsWant(200)},
	{name: "server/201 entries", opt: optServer, list: nAddrs(201), index: -1, reason: ErrTooMany, nerr: 1,
		err: "The number of APIServer Authorized IP Ranges is greater than the allowed value 200."},
	{name: "server/201 entries with VNet integration", opt: with(optServer, func(o *Options) { o.VnetIntegration = true }), list: nAddrs(201), want: nAddrsWant(201)},
	{name: "server/2001 entries with VNet integration", opt: with(optServer, func(o *Options) { o.VnetIntegration = true }), list: nAddrs(2001), index: -1,
		err: "The number of APIServer Authorized IP Ranges is greater than the allowed value 2000."},
	{name: "server/not an address nor a name", opt: optServer, in: "1.2.3.4/33", index: 0, reason: ErrInvalidRange,
		err: `authorizedIPRanges[0] "1.2.3.4/33": not a valid IP address, CIDR or service tag name`},
	{name: "server/leading zero is invalid", opt: optServer, in: "01.2.3.4", errSub: "not a valid IP address", reason: ErrInvalidRange},
	{name: "server/zone is invalid", opt: optServer, in: "fe80::1%eth0", errSub: "not a valid IP address", reason: ErrInvalidRange},
	{name: "server/netmask form is invalid", opt: optServer, in: "20.1.2.0/255.255.255.0", errSub: "not a valid IP address", reason: ErrInvalidRange},
	{name: "server/space inside is invalid", opt: optServer, in: "Azure Cloud", errSub: "not a valid IP address", reason: ErrInvalidRange},
	// AKS: {"code": "PreviewFeatureNotRegistered", "message": "Preview feature
	// Microsoft.ContainerService/CustomNodeConfigPreview not registered."}
	// (Azure/ResourceModules #820); the text names no entry.
	{name: "server/tag without the feature", opt: optServerNoFF, in: "AzureCloud,20.20.20.20", index: 0, reason: ErrTagsNotEnabled,
		err: "Preview feature Microsoft.ContainerService/EnableServiceTagAuthorizedIPPreview not registered."},
	// AKS's older answer once the flag is Registered but not propagated:
	// Code="BadRequest" Message="Feature Microsoft.ContainerService/AutoUpgradePreview
	// is not enabled. Please see https://aka.ms/aks/previews for how to
	// enable features." (Azure/AKS #2587).
	{name: "server/tag with the feature not propagated", opt: with(optServerNoFF, func(o *Options) { o.FeatureRegistered = true }), in: "AzureCloud", index: 0,
		reason: ErrTagsNotEnabled,
		err:    "Feature Microsoft.ContainerService/EnableServiceTagAuthorizedIPPreview is not enabled. Please see https://aka.ms/aks/previews for how to enable features."},
	{name: "server/no tag needs no feature", opt: optServerNoFF, in: "20.20.20.20", want: []string{"20.20.20.20/32"}},
	{name: "server/tag and address", opt: optServer, in: "AzureCloud, 20.20.20.20", want: []string{"AzureCloud", "20.20.20.20/32"}},
	{name: "server/tag case-insensitive to canonical", opt: optServer, in: "azurecloud.EASTUS", want: []string{"AzureCloud.eastus"}},
	{name: "server/regional tag", opt: optServer, in: "Storage.WestUS", want: []string{"Storage.WestUS"}},
	{name: "server/only one tag", opt: optServer, in: "AzureCloud,20.20.20.20,Storage", index: 2, reason: ErrTooManyTags, nerr: 1,
		err: `authorizedIPRanges[2] "Storage": only one service tag is allowed in authorizedIPRanges; "AzureCloud" is already given`},
	{name: "server/same tag twice is one tag", opt: optServer, in: "AzureCloud,azurecloud", want: []string{"AzureCloud"}},
	{name: "server/duplicates kept once", opt: optServer, in: "20.20.20.20,20.20.20.20/32,40.0.0.0/8,20.20.20.20", want: []string{"20.20.20.20/32", "40.0.0.0/8"}},
	{name: "server/unknown tag with suggestion", opt: optServer, in: "AzureClod", index: 0, reason: ErrUnknownTag,
		err: `authorizedIPRanges[0] "AzureClod": unknown service tag; did you mean "AzureCloud"?`},
	// "AzureCloud.eastus2" is 1 edit from "AzureCloud.eastus" and 2 from
	// "AzureCloud.westus"; "AzureCloud" (8) is beyond a third of its length.
	{name: "server/unknown tag with several suggestions", opt: optServer, in: "AzureCloud.eastus2",
		err: `authorizedIPRanges[0] "AzureCloud.eastus2": unknown service tag; did you mean "AzureCloud.eastus" or "AzureCloud.westus"?`},
	{name: "server/unknown tag without suggestion", opt: optServer, in: "Zzzzzzzzzzzz",
		err: `authorizedIPRanges[0] "Zzzzzzzzzzzz": unknown service tag`},
	{name: "server/tag with VNet integration, newer AKS", opt: with(optServer, func(o *Options) { o.VnetIntegration, o.TagsWithVnetIntegration = true, true }),
		in: "AzureCloud,20.20.20.20", want: []string{"AzureCloud", "20.20.20.20/32"}},
	{name: "server/2001 entries with a tag and VNet integration, newer AKS", opt: with(optServer, func(o *Options) { o.VnetIntegration, o.TagsWithVnetIntegration = true, true }),
		list: append(nAddrs(2000), "AzureCloud"), index: -1, err: "The number of APIServer Authorized IP Ranges is greater than the allowed value 2000."},
	{name: "server/tag with VNet integration", opt: with(optServer, func(o *Options) { o.VnetIntegration = true }), in: "AzureCloud", index: 0,
		reason: ErrTagWithVnetIntegration, errSub: "not supported with API server VNet integration"},
	{name: "server/tag without catalog fails closed", opt: with(optServer, func(o *Options) { o.Tags = nil }), in: "20.20.20.20,AzureCloud", index: 1,
		reason: ErrNoCatalog, errSub: `authorizedIPRanges[1] "AzureCloud": no service-tag data is loaded`},
	{name: "server/no catalog, addresses fine", opt: with(optServer, func(o *Options) { o.Tags = nil }), in: "20.20.20.20", want: []string{"20.20.20.20/32"}},
	{name: "server/private cluster", opt: with(optServer, func(o *Options) { o.PrivateCluster = true }), in: "20.20.20.20", index: -1,
		reason: ErrPrivateCluster, err: "Private cluster cannot be enabled with AuthorizedIPRanges."}, // tfsec #571
	{name: "server/private cluster, disabled", opt: with(optServer, func(o *Options) { o.PrivateCluster = true }), in: "", disabled: true},
	{name: "server/all problems, list-level first", opt: with(optServer, func(o *Options) { o.PrivateCluster = true }),
		list: []string{"10.0.0.0/8", "1.2.3.4/24", "AzureClod", "20.20.20.20"}, err: MsgServerPrivateCluster, index: -1, nerr: 4},
	{name: "server/custom field name", opt: with(optServer, func(o *Options) { o.Field = "properties.apiServerAccessProfile.authorizedIPRanges" }),
		in: "10.0.0.0/8", errSub: `properties.apiServerAccessProfile.authorizedIPRanges[0] "10.0.0.0/8": `},

	// design.md: the standalone gateway's config.
	{name: "standalone/private ranges allowed", opt: optStandalone, in: "10.0.0.0/8,127.0.0.1,fd00::/8,192.168.1.0/24", want: []string{"10.0.0.0/8", "127.0.0.1/32", "fd00::/8", "192.168.1.0/24"}},
	{name: "standalone/several tags, no feature gate", opt: optStandalone, in: "AzureCloud,storage,20.20.20.20", want: []string{"AzureCloud", "Storage", "20.20.20.20/32"}},
	{name: "standalone/no 200 limit", opt: optStandalone, list: nAddrs(2001), want: nAddrsWant(2001)},
	{name: "standalone/sanity cap", opt: optStandalone, list: nAddrs(MaxEntriesStandalone + 1), index: -1, reason: ErrTooMany,
		err: "authorizedIPRanges: 100001 entries is more than the allowed 100000"},
	{name: "standalone/host bits", opt: optStandalone, in: "10.1.2.3/8", index: 0, reason: ErrHostBits,
		err: `authorizedIPRanges[0] "10.1.2.3/8": host bits are set: the range starts at its network address, "10.0.0.0/8"`},
	{name: "standalone/unknown tag", opt: optStandalone, in: "Storage.WestU", index: 0, reason: ErrUnknownTag,
		err: `authorizedIPRanges[0] "Storage.WestU": unknown service tag; did you mean "Storage.WestUS"?`},
	{name: "standalone/no catalog", opt: with(optStandalone, func(o *Options) { o.Tags = nil }), in: "AzureCloud", reason: ErrNoCatalog, errSub: "no service-tag data is loaded"},
	{name: "standalone/tag with VNet flag is fine", opt: with(optStandalone, func(o *Options) { o.VnetIntegration = true }), in: "AzureCloud", want: []string{"AzureCloud"}},
	{name: "standalone/private cluster flag ignored", opt: with(optStandalone, func(o *Options) { o.PrivateCluster = true }), in: "10.0.0.0/8", want: []string{"10.0.0.0/8"}},
	{name: "standalone/empty item", opt: optStandalone, in: "10.0.0.0/8,,", reason: ErrEmptyEntry, index: 1, nerr: 2},
	{name: "standalone/egress with others", opt: optStandalone, in: "10.0.0.0/8,0.0.0.0/32", reason: ErrEgressMixed, index: -1,
		err: `authorizedIPRanges[1] "0.0.0.0/32": 0.0.0.0/32 (egress only) is not allowed with other ranges`},
	{name: "standalone/invalid", opt: optStandalone, in: "10.0.0.0/33", reason: ErrInvalidRange, errSub: `authorizedIPRanges[0] "10.0.0.0/33": not a valid`},
}

func nAddrsWant(n int) []string {
	out := nAddrs(n)
	for i := range out {
		out[i] += "/32"
	}
	return out
}

func (c ruleCase) parse() (Spec, error) {
	if c.list != nil || c.nilList {
		return ParseList(c.list, c.opt)
	}
	return ParseString(c.in, c.opt)
}

func TestRules(t *testing.T) {
	for _, c := range ruleCases {
		t.Run(c.name, func(t *testing.T) {
			spec, err := c.parse()
			if c.err != "" || c.errSub != "" || c.reason != nil {
				checkRuleError(t, c, spec, err)
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if spec.Disabled != c.disabled || spec.EgressOnly != c.egress {
				t.Errorf("Disabled, EgressOnly = %v, %v; want %v, %v", spec.Disabled, spec.EgressOnly, c.disabled, c.egress)
			}
			if got := spec.Strings(); !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
				t.Errorf("Strings() = %q, want %q", got, c.want)
			}
		})
	}
}

func checkRuleError(t *testing.T, c ruleCase, spec Spec, err error) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error; got %q", spec.Strings())
	}
	if !spec.Equal(Spec{}) {
		t.Errorf("a failed parse returned a non-zero Spec %+v", spec)
	}
	first := FirstError(err)
	if first == nil {
		t.Fatalf("no *Error in %v", err)
	}
	if c.err != "" && first.Message != c.err {
		t.Errorf("first message\n got %q\nwant %q", first.Message, c.err)
	}
	if c.errSub != "" && !strings.Contains(first.Message, c.errSub) {
		t.Errorf("first message %q does not contain %q", first.Message, c.errSub)
	}
	if c.reason != nil && !errors.Is(first, c.reason) {
		t.Errorf("first error's reason is %v, want %v", first.Reason, c.reason)
	}
	if first.Index != c.index {
		t.Errorf("first error's Index = %d, want %d", first.Index, c.index)
	}
	if first.Code != CodeInvalidParameter && !errors.Is(first, ErrTagsNotEnabled) && !errors.Is(first, ErrExternalTagsNotEnabled) { // the gates' codes: TestGateCodes
		t.Errorf("Code = %q", first.Code)
	}
	all := Errors(err)
	if c.nerr != 0 && len(all) != c.nerr {
		t.Errorf("%d errors, want %d: %v", len(all), c.nerr, err)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Index < all[i-1].Index {
			t.Errorf("errors not ordered by index: %v", err)
		}
	}
}

// TestGateCodes pins the ARM codes of the preview-feature gate: AKS's
// PreviewFeatureNotRegistered before the flag is Registered, the older
// BadRequest once it is Registered but not propagated.
func TestGateCodes(t *testing.T) {
	tests := []struct {
		name       string
		registered bool
		want       string
	}{
		{name: "flag not registered", want: CodePreviewFeatureNotRegistered},
		{name: "provider not registered again", registered: true, want: "BadRequest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opt := with(optServerNoFF, func(o *Options) { o.FeatureRegistered = tc.registered })
			_, err := ParseList([]string{"AzureCloud"}, opt)
			fe := FirstError(err)
			if fe == nil || fe.Code != tc.want {
				t.Fatalf("ParseList: %v, want code %s", err, tc.want)
			}
		})
	}
}
