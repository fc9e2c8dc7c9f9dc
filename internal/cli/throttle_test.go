package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestThrottledRequestsRetried: a 429 (ARM's throttle) is retried after
// its Retry-After, as az's azure-core RetryPolicy does, at most
// maxThrottleRetries times; past that the command fails with ARM's error.
func TestThrottledRequestsRetried(t *testing.T) {
	tests := []struct {
		name     string
		throttle int
		code     int
		sleeps   int
		stderr   string
	}{
		{name: "two 429s then created", throttle: 2, code: 0, sleeps: 2},
		{name: "throttled past the retries", throttle: 10, code: 1, sleeps: maxThrottleRetries,
			stderr: "(SubscriptionRequestsThrottled) Number of 'write' requests for subscription"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeARM(t)
			f.throttleNext = tc.throttle
			env := f.env(t)
			var slept []time.Duration
			env.Sleep = func(d time.Duration) { slept = append(slept, d) }
			var o, e bytes.Buffer
			code := Run(env, []string{"group", "create", "-n", "rg1", "-l", "eastus"}, &o, &e)
			if code != tc.code || !strings.Contains(e.String(), tc.stderr) {
				t.Fatalf("exit %d, stderr %q; want %d and %q", code, e.String(), tc.code, tc.stderr)
			}
			if len(slept) != tc.sleeps {
				t.Fatalf("slept %v, want %d waits", slept, tc.sleeps)
			}
			for _, d := range slept {
				if d != 3*time.Second {
					t.Fatalf("waited %v, want the Retry-After of 3 s", d)
				}
			}
			if puts := strings.Count(strings.Join(f.requests, "\n"), "PUT "); puts != tc.sleeps+1 {
				t.Fatalf("%d PUTs sent, want %d: %v", puts, tc.sleeps+1, f.requests)
			}
			if tc.code == 0 && !strings.Contains(o.String(), `"provisioningState": "Succeeded"`) {
				t.Fatalf("stdout %q", o.String())
			}
		})
	}
}
