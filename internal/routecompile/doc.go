// Package routecompile is the one route compiler of both run modes: it
// resolves an authorized-ranges list against the service-tag data in force
// and compiles it into an immutable *allowlist.List. `tagwall serve`'s
// controller (one list per cluster) and the standalone gateway's gwconfig
// (one list per route) call the same Compiler, so the same list and the same
// documents give the same allowlist, version and degraded notes in both.
//
// Input. A List is a name (the cluster key or route name; one state per name
// per Compiler) and its entries in normalised form, as the API stores them
// and rangespec.Spec.Strings returns them: canonical CIDRs (a bare address is
// read as /32 or /128) and tag names, matched case-insensitively. AllowAll is
// a disabled list (every address passes); exactly ["0.0.0.0/32"] admits only
// Options.System (the cluster's own egress); Options.System is added to
// every list that is not AllowAll, under the entry name "system". Entries
// name themselves in the allowlist (Explain, dumps) as given. An entry that
// is neither an address nor tag-shaped, or a CIDR with host bits set, is an
// error naming the list and the entry; nothing is then recorded for the
// list.
//
// Tags. Tag names resolve through Tags, which *servicetag.Catalog satisfies
// (so does a merged view of several sources). A nil Tags means no data is
// loaded. Compiled tag sets are cached once per (tag, version): the version
// is the tag's changeNumber plus a SHA-256 fingerprint of its prefixes, so two
// documents that give a tag the same changeNumber but different prefixes
// (two clouds, a forged feed) never share a set, while every list that
// references the same tag version shares one *allowlist.TagSet. A set lives
// while a list uses it; Forget (or CompileAll's replacement) releases it.
//
// Several sources: the one multi-source rule (first source wins: a name
// resolves in the first source, in configuration order, that defines it,
// and its prefixes alone are admitted, never a union) is applied by
// servicetag.Set, whose merged catalog both modes compile against. A Tags
// that also implements Shadower gets its shadow warnings in
// Result.Warnings.
//
// Vanished tags, one rule: a tag that the data in force does not define
// (it vanished from a new document, or no data is loaded) keeps the last good
// prefixes this Compiler resolved for it, and the list is degraded with a
// note saying so; a tag never resolved by this Compiler admits nobody, also
// with a note. The answer is never admit-all and never a silent empty set.
// Result.Notes carries the notes (the controller reports them in the
// cluster's status, so `aks show` shows them) and Stats counts degraded lists
// and stale tags for metrics. The last good set of a tag is dropped once no
// list names the tag.
//
// Output. A Result holds the allowlist, a version label (a hash of the
// normalised entries, the system ranges and the version of every tag used;
// it changes exactly when the allowlist may change), the prefix count, the
// tags used and the notes. When a list's version is unchanged the previous
// *allowlist.List is returned again, so unchanged routes keep their pointer.
//
// A Compiler is safe for concurrent use; the zero value is not usable, use
// New. Results are immutable once returned.
package routecompile
