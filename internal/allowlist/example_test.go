package allowlist_test

import (
	"fmt"
	"net/netip"

	"github.com/tagwall/tagwall/internal/allowlist"
)

func Example() {
	// Compile a service tag once; every List that references it shares it.
	azureCloud := allowlist.NewTagSet("AzureCloud", 272, []netip.Prefix{
		netip.MustParsePrefix("20.38.0.0/16"),
		netip.MustParsePrefix("2603:1000::/24"),
	})

	// The list "AzureCloud,20.20.20.20".
	var b allowlist.Builder
	b.AddTag(azureCloud, "AzureCloud")
	b.AddPrefix(netip.MustParsePrefix("20.20.20.20/32"), "20.20.20.20")
	list, err := b.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range []string{"20.20.20.20", "20.38.1.2", "::ffff:20.38.1.2", "2603:1000::1", "1.1.1.1"} {
		fmt.Println(s, list.Contains(netip.MustParseAddr(s)))
	}
	// Output:
	// 20.20.20.20 true
	// 20.38.1.2 true
	// ::ffff:20.38.1.2 true
	// 2603:1000::1 true
	// 1.1.1.1 false
}

func ExampleList_Explain() {
	tag := allowlist.NewTagSet("AzureCloud", 272, []netip.Prefix{
		netip.MustParsePrefix("20.0.0.0/8"),
		netip.MustParsePrefix("20.38.0.0/16"),
	})
	var b allowlist.Builder
	b.AddPrefix(netip.MustParsePrefix("20.20.20.20/32"), "20.20.20.20")
	b.AddTag(tag, "AzureCloud")
	list, _ := b.Build()
	for _, s := range []string{"20.20.20.20", "20.38.1.2", "1.1.1.1"} {
		d := list.Explain(netip.MustParseAddr(s))
		fmt.Printf("%s allowed=%v entry=%q: %s\n", s, d.Allowed, d.Entry, d.Reason)
	}
	// Output:
	// 20.20.20.20 allowed=true entry="20.20.20.20": matched 20.20.20.20/32
	// 20.38.1.2 allowed=true entry="AzureCloud": matched 20.38.0.0/16 of service tag AzureCloud (change 272)
	// 1.1.1.1 allowed=false entry="": not in any entry
}

func ExampleBuilder_Build() {
	var b allowlist.Builder
	b.AddPrefix(netip.MustParsePrefix("137.117.106.90/29"), "137.117.106.90/29")
	b.AddPrefix(netip.Prefix{}, "")
	b.AddTag(nil, "AzureCloud")
	_, err := b.Build()
	fmt.Println(err)
	// Output:
	// add prefix "137.117.106.90/29" of entry "137.117.106.90/29": prefix has host bits set (did you mean "137.117.106.88/29"?)
	// add prefix "invalid Prefix" of entry "": invalid prefix
	// add tag of entry "AzureCloud": nil tag set
}
