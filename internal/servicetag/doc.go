// Package servicetag loads, validates, indexes, diffs and refreshes cloud
// service-tag documents: named, provider-maintained sets of IP prefixes such
// as Azure's AzureCloud.
//
// Parse accepts Azure's download format (ServiceTags_<Cloud>_<date>.json,
// integer changeNumbers, including the 2019 layout, CRLF and a UTF-8 BOM) and
// the Service Tag Discovery API format (string changeNumbers, nextLink
// pages). A Document is validated before it is returned: every prefix is a
// canonical CIDR, tag names are unique, a cloud is named and at least one tag
// is present. Errors name the file, the tag and the entry.
//
// A Catalog is an immutable index over one Document: case-insensitive lookup
// by name and an indexed reverse lookup (which tags contain an address). It is
// safe for concurrent use.
//
// A Keeper holds the Catalog in force for one Source and replaces it only
// with a document that parsed, validated and did not regress its
// changeNumber (unless forced): a failed or rejected refresh keeps the last
// good document.
package servicetag
