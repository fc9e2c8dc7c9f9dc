package aztest

import (
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/armthrottle"
	"github.com/tagwall/tagwall/internal/server"
)

// TestAzRetriesThrottledWrites: the real az meets tagwall's ARM throttle as
// it meets ARM's: a write past the principal's bucket gets 429
// SubscriptionRequestsThrottled with Retry-After, az waits and retries,
// and the command succeeds. The write bucket here holds one token,
// refilled every 2 s.
func TestAzRetriesThrottledWrites(t *testing.T) {
	bin := findAz(t)
	m := startServerWith(t, func(c *server.Config) {
		c.ARMThrottle = &armthrottle.Config{Writes: armthrottle.Bucket{Size: 1, Refill: 0.5}}
	})
	trap, hits := proxyTrap(t)
	az := newAzEnv(t, bin, m.CAFile(), trap)
	id, secret := m.AdminPrincipal()
	az.ok(t, "cloud", "register", "-n", "tagwall", "--endpoint-resource-manager", m.APIURL())
	az.ok(t, "cloud", "set", "-n", "tagwall")
	az.ok(t, "login", "--service-principal", "-u", id, "-p", secret, "--tenant", m.Tenant())
	az.ok(t, "group", "create", "-n", "rg1", "-l", "eastus")
	start := time.Now()
	out, errOut, code := az.run(t, "group", "create", "-n", "rg2", "-l", "eastus", "--debug")
	if code != 0 || !strings.Contains(out, `"name": "rg2"`) {
		t.Fatalf("second write: rc %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, "429") || !strings.Contains(errOut, "Retry-After") {
		t.Fatalf("the second write was not throttled (no 429 with Retry-After in az's debug log):\n%s", errOut)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("az retried after %v: Retry-After not honoured", d)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("%d requests left for the outside world", n)
	}
}
