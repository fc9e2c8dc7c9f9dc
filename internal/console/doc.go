// Package console is tagwall's web console: server-rendered HTML pages
// (html/template, one small stylesheet, no JavaScript) that show the
// clusters, their authorized lists with each entry's resolved prefix count,
// the front door's recent decisions, the service-tag catalog, and answer
// "would this address be admitted?".
//
// Contract:
//   - Console is an http.Handler mounted at Config.Prefix ("/ui/"). It
//     reads only through small interfaces (ClusterSource, TagSource,
//     ListUpdater, Auth) and a *Recorder, so serve and the standalone
//     gateway each plug in their own data. It is safe for concurrent use.
//   - No page shows data without a session: a request without a live
//     session cookie, or whose session credential no longer verifies
//     (Auth.Verify runs on every request), is redirected to the sign-in
//     page. Sign-in takes the admin token or a service principal's client
//     id and secret (Auth.SignIn); the session cookie is random (32 bytes),
//     HttpOnly, Secure, SameSite=Strict, scoped to the prefix and expires
//     with the session (Config.SessionTTL, capped by the credential's own
//     expiry). Sessions live in memory, or in Config.Store (under
//     SessionsPrefix, keyed by the cookie's SHA-256) so that replicas
//     sharing the store share them; at most MaxSessionsPerPrincipal per
//     principal (its own oldest is dropped) and Config.MaxSessions in
//     all (the one closest to expiry is dropped at the bound); the bearer
//     credential stays on the server side. Failed sign-ins are throttled per
//     remote address (a burst of 5, then one every 10 s).
//   - Every state-changing form (the list change, sign-out) carries the
//     session's CSRF token and is refused with 403 without it or from
//     another Origin; the sign-in form carries a pre-session token held in
//     its own short-lived cookie (login CSRF).
//   - A principal limited to some subscriptions sees only their clusters;
//     another subscription's cluster is "not found", like a missing one.
//   - A list change goes through ListUpdater; APIBackend calls the API's
//     own handler in-process with the session's credential, so the API's
//     validation decides and its error text is shown on the form.
//   - Recorder keeps per-route decision history with fixed memory; its
//     Record never blocks, and allocates nothing once a route is known.
//   - Each page is bounded (at most 100 rows per table page, 100 tags,
//     100 diff rows, 20 refusals) to stay well under 200 KB.
package console
