package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/tagwall/tagwall/internal/allowlist"
	"github.com/tagwall/tagwall/internal/routecompile"
	"github.com/tagwall/tagwall/internal/state"
)

// shadowSuffix names a cluster's shadow list in the route compiler.
const shadowSuffix = "#shadow"

// forget releases the compiler state of a cluster and of its shadow list.
func (c *Controller) forget(key string) {
	c.compiler.Forget(key)
	c.compiler.Forget(key + shadowSuffix)
}

// compileShadow compiles the cluster's shadow list (nil, nil when it has
// none) with the same compiler, tags and system ranges as its list.
func (c *Controller) compileShadow(key string, mc *state.ManagedCluster) (*routecompile.Result, error) {
	if len(mc.ShadowRanges) == 0 {
		c.compiler.Forget(key + shadowSuffix)
		return nil, nil
	}
	var tags routecompile.Tags
	if c.catalog != nil {
		tags = c.catalog
	}
	return c.compiler.Compile(tags, routecompile.List{Name: key + shadowSuffix, Entries: mc.ShadowRanges})
}

func shadowList(res *routecompile.Result) *allowlist.List {
	if res == nil {
		return nil
	}
	return res.Allow
}

// extrasVersion is the route version's suffix for the tagwall extensions:
// "" without grants and shadow list, else a hash of both.
func extrasVersion(mc *state.ManagedCluster, shadow *routecompile.Result) string {
	if len(mc.Grants) == 0 && shadow == nil {
		return ""
	}
	h := sha256.New()
	for _, g := range mc.Grants {
		h.Write([]byte(g.Name + "\x00" + g.Range + "\x00" + strconv.FormatInt(g.ExpiresAt.UnixNano(), 10) + "\x00"))
	}
	if shadow != nil {
		h.Write([]byte("shadow\x00" + shadow.Version))
	}
	return "+x" + hex.EncodeToString(h.Sum(nil)[:6])
}
