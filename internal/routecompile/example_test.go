package routecompile_test

import (
	"fmt"
	"net/netip"

	"github.com/tagwall/tagwall/internal/routecompile"
)

func Example() {
	c, _ := routecompile.New(routecompile.Options{})
	week1 := catalog("Public", 1, tag("AzureCloud", 5, "20.0.0.0/11"))
	res, _ := c.Compile(week1, routecompile.List{Name: "prod", Entries: []string{"AzureCloud", "30.30.30.30/32"}})
	fmt.Println(res.Allow.Contains(netip.MustParseAddr("20.1.2.3")), res.Prefixes, res.Degraded())

	// AzureCloud vanishes from the next document: last good prefixes, degraded.
	week2 := catalog("Public", 2, tag("Storage", 3, "52.0.0.0/8"))
	res, _ = c.Compile(week2, routecompile.List{Name: "prod", Entries: []string{"AzureCloud", "30.30.30.30/32"}})
	fmt.Println(res.Allow.Contains(netip.MustParseAddr("20.1.2.3")), res.Degraded())
	fmt.Println(res.Notes[0])
	fmt.Println(c.Stats())
	// Output:
	// true 2 false
	// true true
	// tag "AzureCloud" is missing from the service-tag data in force: serving its last good prefixes (changeNumber 5)
	// lists 1, degraded 1, stale tags 1, tag sets 1
}
