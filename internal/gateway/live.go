package gateway

import "sync/atomic"

// liveOptions are the Config keys that may change while the gateway runs
// (SetLiveOptions); the connection path reads them without a lock.
type liveOptions struct {
	revoke       atomic.Bool // Config.RevokeExisting's meaning
	auditAllowed atomic.Bool
}

func (l *liveOptions) set(revokeExisting *bool, auditAllowed bool) {
	l.revoke.Store(revokeExisting == nil || *revokeExisting)
	l.auditAllowed.Store(auditAllowed)
}

// SetLiveOptions changes Config.RevokeExisting and Config.AuditAllowed
// while the gateway runs (a standalone config reload): connections decided
// afterwards are audited under the new auditAllowed, and the next
// SetRoutes revokes (or not) under the new revokeExisting. The other
// Config fields are read once by New.
func (g *Gateway) SetLiveOptions(revokeExisting *bool, auditAllowed bool) {
	g.opts.set(revokeExisting, auditAllowed)
}
