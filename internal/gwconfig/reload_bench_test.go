package gwconfig

import (
	"testing"
	"time"
)

// BenchmarkReloadLatency is the time from an edit of the config file (a
// rename over it, as editors save) to the gateway deciding by the new
// list: the file watch, the parse, the compile (AzureCloud's set cached)
// and the route swap. An op is one edit, alternating which of two clients
// the list admits; the decision is read with Gateway.ExplainSNI (no TLS).
// TestReloadOnEdit checks the same path end to end with real connections.
func BenchmarkReloadLatency(b *testing.B) {
	up := tlsUpstream(b)
	rn, err := startRunnerWith(b, configYAML(up, "AzureCloud", "20.20.20.20"), RunnerOptions{}, true)
	if err != nil {
		b.Fatal(err)
	}
	lists := [2][]string{{"AzureCloud", "30.30.30.30"}, {"AzureCloud", "20.20.20.20"}}
	i := 0
	for b.Loop() {
		i++
		writeFile(b, rn.path, configYAML(up, lists[i%2]...))
		wantBob := i%2 == 0
		deadline := time.Now().Add(5 * time.Second)
		for {
			x, _ := rn.r.gw.ExplainSNI("api.prod.example.test", bob)
			if x.Allowed == wantBob {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("edit %d not in force after 5 s", i)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
}
