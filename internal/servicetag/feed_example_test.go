package servicetag_test

import (
	"fmt"
	"net/netip"

	"github.com/tagwall/tagwall/internal/servicetag"
)

// ParseFeed recognises a provider's document by its content and returns
// service tags of the same shape as Azure's.
func ExampleParseFeed() {
	meta := []byte(`{"verifiable_password_authentication": false,
		"ssh_keys": ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"],
		"hooks": ["192.30.252.0/22", "2a0a:a440::/29"],
		"actions_macos": ["13.105.117.0/31"]}`)
	doc, err := servicetag.ParseFeed("meta.json", meta)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range doc.Tags {
		v4, v6 := t.PrefixCount()
		fmt.Printf("%s (%s): %d v4, %d v6\n", t.Name, t.Platform, v4, v6)
	}
	// Output:
	// GitHub.ActionsMacos (GitHub): 1 v4, 0 v6
	// GitHub.Hooks (GitHub): 1 v4, 1 v6
}

// Cloudflare publishes two text lists; they make one tag.
func ExampleParseCloudflare() {
	v4 := []byte("173.245.48.0/20\n103.21.244.0/22")
	v6 := []byte("2400:cb00::/32\n2606:4700::/32")
	doc, err := servicetag.ParseCloudflare("cloudflare", v4, v6)
	if err != nil {
		fmt.Println(err)
		return
	}
	cat := servicetag.NewCatalog(doc)
	fmt.Println(len(doc.Tags[0].Prefixes), cat.ContainingNames(netip.MustParseAddr("2606:4700::1111")))

	// The error page Cloudflare once served in place of ips-v4 is refused.
	_, err = servicetag.ParseCloudflare("ips-v4", []byte("<html>\r\n<head><title>500 Internal Server Error</title></head>"), v6)
	fmt.Println(err)
	// Output:
	// 4 [Cloudflare]
	// parse service tags "ips-v4": Cloudflare ips: list 1 is not a list of CIDRs: it looks like HTML (starts with "<html>\r\n<head><title>500 Internal Server…"), for example an error page
}

// MergeFeeds puts several feeds in one catalog; a lookup then answers
// "whose address is this?" across clouds.
func ExampleMergeFeeds() {
	gh, _ := servicetag.ParseFeed("meta", []byte(`{"hooks": ["192.30.252.0/22"]}`))
	fastly, _ := servicetag.ParseFeed("fastly", []byte(`{"addresses": ["151.101.0.0/16"], "ipv6_addresses": []}`))
	doc, err := servicetag.MergeFeeds(gh, fastly)
	if err != nil {
		fmt.Println(err)
		return
	}
	cat := servicetag.NewCatalog(doc)
	fmt.Println(doc.Cloud, cat.ContainingNames(netip.MustParseAddr("151.101.1.1")))

	_, err = servicetag.MergeFeeds(gh, gh)
	fmt.Println(err)
	// Output:
	// GitHub+Fastly [Fastly]
	// merge service tags: tag defined by two documents: "GitHub.Hooks" of GitHub and "GitHub.Hooks" of GitHub (names are case-insensitive)
}
