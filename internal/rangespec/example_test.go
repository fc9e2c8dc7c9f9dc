package rangespec_test

import (
	"fmt"
	"strings"

	"github.com/tagwall/tagwall/internal/rangespec"
)

// tags is a two-name stand-in for *servicetag.Catalog.
type tags []string

func (t tags) LookupTag(name string) (string, bool) {
	for _, n := range t {
		if strings.EqualFold(n, name) {
			return n, true
		}
	}
	return "", false
}

func (t tags) TagNames() []string { return t }

func ExampleParseString() {
	opt := rangespec.Options{
		Mode:               rangespec.ModeServer,
		ServiceTagsEnabled: true,
		Tags:               tags{"AzureCloud", "Storage"},
	}
	spec, err := rangespec.ParseString("azurecloud, 20.20.20.20", opt)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(spec.Strings(), spec.Tags())
	// Output: [AzureCloud 20.20.20.20/32] [AzureCloud]
}

func ExampleParseString_cli() {
	// Core az refuses a service tag; aks-preview passes it to the server.
	_, err := rangespec.ParseString("AzureCloud,20.20.20.20", rangespec.Options{Mode: rangespec.ModeCLI})
	fmt.Println(err)
	spec, _ := rangespec.ParseString("AzureCloud,20.20.20.20", rangespec.Options{Mode: rangespec.ModePreviewCLI})
	fmt.Println(spec.Raws())
	// Output:
	// --api-server-authorized-ip-ranges should be a list of IPv4 addresses or CIDRs
	// [AzureCloud 20.20.20.20]
}

func ExampleFirstError() {
	opt := rangespec.Options{Mode: rangespec.ModeServer, Tags: tags{"AzureCloud"}, ServiceTagsEnabled: true}
	_, err := rangespec.ParseList([]string{"20.20.20.20", "10.0.0.0/8", "137.117.106.90/29", "AzureClod"}, opt)
	first := rangespec.FirstError(err)
	fmt.Println(first.Code, first.Index)
	for _, e := range rangespec.Errors(err) {
		fmt.Println(e.Message)
	}
	// Output:
	// InvalidParameter 1
	// authorizedIPRanges[1] "10.0.0.0/8": must be global non-reserved addresses or CIDRs
	// authorizedIPRanges[2] "137.117.106.90/29": host bits are set: the range starts at its network address, "137.117.106.88/29"
	// authorizedIPRanges[3] "AzureClod": unknown service tag; did you mean "AzureCloud"?
}

func ExampleParseList_egressOnly() {
	spec, _ := rangespec.ParseList([]string{"0.0.0.0/32"}, rangespec.Options{Mode: rangespec.ModeServer})
	fmt.Println(spec.EgressOnly, spec.Strings())
	disabled, _ := rangespec.ParseList(nil, rangespec.Options{Mode: rangespec.ModeServer})
	fmt.Println(disabled.Disabled)
	// Output:
	// true [0.0.0.0/32]
	// true
}
