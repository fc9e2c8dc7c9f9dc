// Package servicetag loads, validates, indexes, diffs and refreshes cloud
// service-tag documents: named, provider-maintained sets of IP prefixes such
// as Azure's AzureCloud.
//
// Parse accepts Azure's download format (ServiceTags_<Cloud>_<date>.json,
// integer changeNumbers, including the 2019 layout, CRLF and a UTF-8 BOM) and
// the Service Tag Discovery API format (string changeNumbers, also inside an
// x-ms-examples envelope); ParsePages merges nextLink pages and NextLink
// finds the next one. A Document is validated before it is returned: every
// prefix is a canonical CIDR (not IPv4-mapped), tag names are unique
// case-insensitively, a cloud and a changeNumber are present and at least one
// tag is present (a tag may have no prefixes). Every problem found, up to a
// cap, is reported in one *DocumentError naming the file, the tag and the
// entry; an HTML error page or other non-JSON is ErrNotJSON, nothing at all
// is ErrEmpty. MarshalDownload writes the download format back, and Parse of
// its output is equal to the input apart from Format; MarshalDiscovery
// writes the body the ARM serviceTags discovery API returns.
//
// A Catalog is an immutable index over one Document: case-insensitive lookup
// by name (it implements rangespec.TagIndex) and an indexed reverse lookup,
// Containing, backed by a bart table from prefix to tags (IPv4-mapped
// addresses are unmapped first). It is safe for concurrent use. Diff reports
// added, removed and changed tags with per-tag prefix changes, sorted.
//
// A Source fetches raw bytes: a file, or an HTTP(S) URL with conditional GET,
// a timeout and a size cap. A Keeper holds the Catalog in force for one
// Source behind an atomic pointer and replaces it only with a document that
// parsed, validated and did not regress its changeNumber (ErrRegression,
// unless forced): a failed or rejected refresh keeps the last good document
// and records the error in Status. With WithCacheFile the last good raw
// document is written atomically and LoadCache puts it back in force at
// start; WithOnChange lets a controller recompile on every change.
package servicetag
