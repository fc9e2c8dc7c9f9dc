// Package gwconfig is the standalone gateway's YAML configuration: it
// parses a file strictly (unknown keys are errors), validates every field
// and reports all problems at once, resolves each route's
// authorizedIPRanges (addresses, CIDRs, private ranges and any number of
// service tags, rangespec.ModeStandalone) against the configured
// service-tag catalogs, and compiles gateway.Routes with the route compiler
// `serve` uses too (package routecompile), under its rules: of several
// sources the first that defines a tag wins (a same-named tag of another
// cloud in a later source is reported, not admitted), and a tag that
// vanishes from new data keeps its last good prefixes with the route
// degraded (CompileNotes, TagCache.Stats).
//
// A route's grants (routes[].grants: range, expires, reason, name; at most
// gateway.MaxGrantsPerRoute) become gateway.Grants, whose expiry the
// gateway enforces without a reload; routes[].shadowAuthorizedIPRanges is
// compiled like authorizedIPRanges (its own compiler state, "<name>#shadow")
// into gateway.Route.Shadow. Check explains the decision the route for a
// server name takes for an address (`tagwall gateway check`).
//
// A route with an empty or absent authorizedIPRanges is refused unless it
// says allowAll: true: the configuration fails closed. A tag that neither
// the data in force nor the last good sets know is an error.
//
// Runner keeps a running gateway in step with the file: Reload reads,
// validates and compiles the file and swaps the routes in only when all of
// it is good, so a broken edit leaves the running configuration in force;
// Watch reloads on file changes (the directory is watched, since editors
// replace files) and on demand (SIGHUP in the command). Service-tag sources
// refresh on their own interval through servicetag.Keeper, keeping the last
// good document, and routes are recompiled when a document changes.
// Changes to listen and metrics need a restart; Reload logs that.
package gwconfig
