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
// A route with an empty or absent authorizedIPRanges is refused unless it
// says allowAll: true: the configuration fails closed. A tag that neither
// the data in force nor the last good sets know is an error.
//
// Runner keeps a running gateway in step with the file: Reload reads,
// validates and compiles the file and swaps the routes in only when all of
// it is good, so a broken edit leaves the running configuration in force;
// Watch reloads on file changes (the directory is watched, since editors
// replace files) and on demand (SIGHUP in the command). Service tags come
// from one servicetag.Set built from the file's serviceTags (or, when none
// is listed and a route names a tag, the Azure Public download page backed
// by the embedded snapshot): its one refresh loop, update checks (a
// document that drops a tag in use or moves back is held), pins
// (serviceTagPins) and the operator's accept (acceptChangeNumber) are the
// same as serve's; routes are recompiled when its catalog changes.
// revokeExisting and auditAllowed apply at reload; changes to listen,
// metrics, proxyProtocol, the timeouts and the connection caps need a
// restart, and Reload logs the keys whose values changed.
package gwconfig
