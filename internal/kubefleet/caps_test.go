package kubefleet

import (
	"strings"
	"testing"
)

// TestPerSubscriptionCap: a subscription at MaxPerSubscription gets no new
// apiserver (the error names the flag), another subscription still does
// (here it reaches the start, which refuses for want of a CA, so no
// process runs), and running ones are kept. No kube-apiserver is needed.
func TestPerSubscriptionCap(t *testing.T) {
	id := func(sub, name string) string {
		return "/subscriptions/" + sub + "/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/" + name
	}
	f := &Fleet{cfg: Config{Max: 10, MaxPerSubscription: 2}, procs: map[string]*entry{}, removing: map[string]chan struct{}{}}
	for _, n := range []string{"a", "b"} {
		c := Cluster{ID: id("S1", n), Version: "1.33"}
		f.procs[c.ID] = &entry{c: c, addr: "127.0.0.1:1" + n}
	}
	running := []Cluster{f.procs[id("S1", "a")].c, f.procs[id("S1", "b")].c}
	addrs, err := f.Sync(append(running, Cluster{ID: id("s1", "c")}, Cluster{ID: id("s2", "d")}))
	if len(addrs) != 2 || addrs[id("S1", "a")] == "" || addrs[id("S1", "b")] == "" {
		t.Fatalf("running apiservers not kept: %v", addrs)
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	}
	if !strings.Contains(msg, "managedClusters/c: subscription s1 already runs 2 (--max-kube-apiservers-per-subscription)") {
		t.Fatalf("the third cluster of s1: %q", msg)
	}
	if !strings.Contains(msg, "managedClusters/d: the cluster's CA is not available") {
		t.Fatalf("another subscription was held back by s1's cap: %q", msg)
	}
	if got := subscriptionOf("/subscriptions/ABC/resourceGroups/x"); got != "abc" {
		t.Fatalf("subscriptionOf = %q", got)
	}
	if got := subscriptionOf("not an id"); got != "" {
		t.Fatalf("subscriptionOf = %q", got)
	}
}
