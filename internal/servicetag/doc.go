// Package servicetag loads, validates, indexes, diffs and refreshes cloud
// service-tag documents: named, provider-maintained sets of IP prefixes such
// as Azure's AzureCloud.
//
// Parse accepts Azure's download format (ServiceTags_<Cloud>_<date>.json,
// integer changeNumbers, including the 2019 layout, CRLF and a UTF-8 BOM) and
// the Service Tag Discovery API format (string changeNumbers, also inside an
// x-ms-examples envelope); a discovery page whose nextLink is set is refused
// (ErrPartial): ParsePages merges the pages and NextLink finds the next one. A Document is validated before it is returned: every
// prefix is a canonical CIDR (not IPv4-mapped), tag names are unique
// case-insensitively, a cloud and a changeNumber are present and at least one
// tag is present (a tag may have no prefixes). Every problem found, up to a
// cap, is reported in one *DocumentError naming the file, the tag and the
// entry; an HTML error page or other non-JSON is ErrNotJSON, nothing at all
// is ErrEmpty. MarshalDownload writes the download format back, and Parse of
// its output is equal to the input apart from Format; MarshalDiscovery
// is the one encoder of the ARM serviceTags discovery API body: the whole
// document with nextLink null by default (as Azure answers; its SDKs never
// follow nextLink), or $top-style pages.
//
// A Catalog is an immutable index over one Document: case-insensitive lookup
// by name (it implements rangespec.TagIndex) and an indexed reverse lookup,
// Containing, backed by a bart table from prefix to tags (IPv4-mapped
// addresses are unmapped first), built by the first Containing call, so a
// catalog that is never asked (the gateway's) does not pay for it. It is
// safe for concurrent use. Diff reports added, removed and changed tags
// with per-tag prefix changes, sorted.
//
// A Source fetches raw bytes: a file, an HTTP(S) URL with conditional GET
// (ETag/Last-Modified), a Microsoft download page whose ServiceTags JSON
// link is followed (DownloadPageSource), or the ARM discovery API with a
// bearer token, following nextLink on the same host and merging the pages
// with ParsePages (DiscoverySource); OpenSource picks one by location. Every
// HTTP body has a size cap and one over it is refused without being held:
// a larger Content-Length before reading, else after cap+1 bytes. A Keeper
// holds one source's Catalog in force behind an atomic pointer, with its
// cache file (WithCacheFile, LoadCache).
//
// A Set is the one catalog of a process (serve, the standalone gateway and
// the CLI): one Keeper per source, one refresh loop (Run) with one backoff
// policy, one multi-source rule (sources in priority order; the first that
// defines a tag name provides it, later ones are shadowed), and the update
// checks that keep a bad feed from locking clusters out: a document is
// installed only if its cloud is the one in force, no tag in use (InUse,
// plus AzureCloud) disappears or loses more than half of its prefixes, and
// its changeNumber does not go back. Anything else is held beside the
// document in force, logged, counted and shown by Status, until Accept, or
// — for a document whose only fault is a lower changeNumber — until the
// source has served it three fetches in a row. Pin keeps a tag at a version
// seen before. Pins, holds and the last good documents live in the cache
// dir and survive a restart. At start (Load) each source's cache is put in
// force, else its embedded snapshot; with no sources configured the Set
// uses the cloud's download page backed by that cloud's snapshot, so an
// offline machine has data, and Status says which document is in force and
// how old it is ("embedded snapshot, changeNumber 373, published
// 2025-10-13"). Install offers a document another replica fetched to the
// same checks (fleet replication).
//
// Embedded snapshots (package snapshot) are Microsoft's latest Public,
// AzureGovernment and China files, bzip2 -9 compressed: 342,340 bytes
// embedded (Public alone 308,088 bytes for a 4.1 MB document; gzip -9 would
// be 486,946 for Public), and the binary grows by about 0.48 MB (measured;
// see package snapshot); decoding Public takes about 0.1 s, only when the
// snapshot is used.
package servicetag
