package main

import (
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tagwall/tagwall/internal/armthrottle"
	"github.com/tagwall/tagwall/internal/server"
)

func TestServeFlags(t *testing.T) {
	t.Setenv("XDG_STATE_HOME", filepath.Join(t.TempDir(), "state"))
	t.Setenv("TAGWALL_CONFIG", filepath.Join(t.TempDir(), "cc.json"))
	tests := []struct {
		name    string
		args    []string
		check   func(t *testing.T, c server.Config)
		wantErr string
	}{
		{name: "defaults", args: nil, check: func(t *testing.T, c server.Config) {
			if !strings.HasSuffix(c.DataDir, filepath.Join("state", "tagwall")) || c.APIAddr != "127.0.0.1:8443" ||
				c.GatewayAddr != "127.0.0.1:6443" || c.MetricsAddr != "127.0.0.1:9100" || len(c.TrustedProxies) != 0 ||
				c.ServiceTagsRefresh != 24*time.Hour || c.FeatureDelay != 2*time.Minute || !strings.HasSuffix(c.ClientConfigPath, "cc.json") {
				t.Fatalf("defaults: %+v", c)
			}
		}},
		{name: "everything", args: []string{"--data-dir", "/d", "--trusted-proxies", "127.0.0.1,10.0.0.0/8", "--system-ranges", "203.0.113.0/24",
			"--upstream", "c1=127.0.0.1:7443,ca=/ca.pem", "--upstream", "c2=[::1]:7444", "--service-tags", "a.json", "--service-tags", "https://x/y.json",
			"--feature-registration-delay", "5s", "--client-config", "/cc", "--subscription", "s", "--log-level", "debug"},
			check: func(t *testing.T, c server.Config) {
				if c.DataDir != "/d" || len(c.TrustedProxies) != 2 || c.TrustedProxies[0] != netip.MustParsePrefix("127.0.0.1/32") ||
					len(c.SystemRanges) != 1 || len(c.Upstreams) != 2 || c.Upstreams[0].CAFile != "/ca.pem" ||
					len(c.ServiceTags) != 2 || c.FeatureDelay != 5*time.Second || c.ClientConfigPath != "/cc" || c.Subscription != "s" {
					t.Fatalf("parsed: %+v", c)
				}
			}},
		{name: "no client config", args: []string{"--no-client-config"}, check: func(t *testing.T, c server.Config) {
			if c.ClientConfigPath != "" {
				t.Fatalf("client config %q", c.ClientConfigPath)
			}
		}},
		{name: "host bits", args: []string{"--trusted-proxies", "127.0.0.1/8"}, wantErr: "did you mean 127.0.0.0/8"},
		{name: "bad cidr", args: []string{"--system-ranges", "nope"}, wantErr: `--system-ranges "nope"`},
		{name: "bad upstream", args: []string{"--upstream", "c1"}, wantErr: "CLUSTER=HOST:PORT"},
		{name: "bad level", args: []string{"--log-level", "loud"}, wantErr: "--log-level"},
		{name: "etcd", args: []string{"--store", "etcd", "--etcd-endpoints", "127.0.0.1:2379,127.0.0.1:2381", "--etcd-prefix", "/x/",
			"--etcd-ca", "/ca", "--etcd-cert", "/c", "--etcd-key", "/k", "--claim-ttl", "3s"},
			check: func(t *testing.T, c server.Config) {
				e := c.Etcd
				if c.Store != server.StoreEtcd || len(e.Endpoints) != 2 || e.Endpoints[1] != "127.0.0.1:2381" || e.Prefix != "/x/" ||
					e.CAFile != "/ca" || e.CertFile != "/c" || e.KeyFile != "/k" || c.ClaimTTL != 3*time.Second {
					t.Fatalf("parsed: %+v", c)
				}
			}},
		{name: "bolt by default", args: nil, check: func(t *testing.T, c server.Config) {
			if c.Store != server.StoreBolt || c.Etcd.Prefix != server.DefaultEtcdPrefix || c.ClaimTTL != server.DefaultClaimTTL {
				t.Fatalf("store defaults: %+v", c)
			}
		}},
		{name: "api limits", args: []string{"--api-read-timeout", "5s", "--api-write-timeout", "1m", "--api-idle-timeout", "30s",
			"--max-api-connections", "64", "--max-metrics-connections", "8"},
			check: func(t *testing.T, c server.Config) {
				if c.APIReadTimeout != 5*time.Second || c.APIWriteTimeout != time.Minute || c.APIIdleTimeout != 30*time.Second ||
					c.MaxAPIConnections != 64 || c.MaxMetricsConnections != 8 {
					t.Fatalf("parsed: %+v", c)
				}
			}},
		{name: "api limit defaults", args: nil, check: func(t *testing.T, c server.Config) {
			if c.APIReadTimeout != server.DefaultAPIReadTimeout || c.APIIdleTimeout != server.DefaultAPIIdleTimeout ||
				c.MaxAPIConnections != server.DefaultMaxAPIConnections {
				t.Fatalf("limit defaults: %+v", c)
			}
		}},
		{name: "arm throttle on by default, Azure's buckets", args: nil, check: func(t *testing.T, c server.Config) {
			if th := c.ARMThrottle; th == nil || th.Reads != (armthrottle.Bucket{}) || th.Writes != (armthrottle.Bucket{}) || th.Deletes != (armthrottle.Bucket{}) || th.GlobalFactor != 0 || th.MaxBuckets != 0 {
				t.Fatalf("ARMThrottle %+v", c.ARMThrottle)
			}
		}},
		{name: "operation bounds", args: []string{"--operation-retention", "2h", "--max-ended-operations", "500"}, check: func(t *testing.T, c server.Config) {
			if c.OperationRetention != 2*time.Hour || c.MaxEndedOperations != 500 {
				t.Fatalf("parsed: %+v", c)
			}
		}},
		{name: "kube caps", args: []string{"--max-kube-apiservers", "8", "--max-kube-apiservers-per-subscription", "2"}, check: func(t *testing.T, c server.Config) {
			if c.MaxKubeAPIServers != 8 || c.MaxKubeAPIServersPerSubscription != 2 {
				t.Fatalf("parsed: %+v", c)
			}
		}},
		{name: "arm throttle off", args: []string{"--arm-throttle=false"}, check: func(t *testing.T, c server.Config) {
			if c.ARMThrottle != nil {
				t.Fatalf("ARMThrottle %+v", c.ARMThrottle)
			}
		}},
		{name: "etcd without endpoints", args: []string{"--store", "etcd"}, wantErr: "--etcd-endpoints"},
		{name: "endpoints without etcd", args: []string{"--etcd-endpoints", "127.0.0.1:2379"}, wantErr: "--store etcd"},
		{name: "unknown store", args: []string{"--store", "redis"}, wantErr: `--store "redis"`},
		{name: "etcd cert without key", args: []string{"--store", "etcd", "--etcd-endpoints", "h:1", "--etcd-cert", "/c"}, wantErr: "--etcd-key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &serveFlags{}
			if err := newServeCmdWith(f).ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			c, err := f.config()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
		})
	}
}

func TestServeBadFlagExitsTwo(t *testing.T) {
	code, _, stderr := tagwall(t, "serve", "--trusted-proxies", "not-a-cidr", "--data-dir", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "--trusted-proxies") {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
}

// TestServePrefilterFlag: --prefilter takes drop or reject, and not with
// PROXY protocol peers (the kernel would see the proxy, not the client).
func TestServePrefilterFlag(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown action", []string{"--prefilter", "block"}, `--prefilter "block": want drop or reject`},
		{"with trusted proxies", []string{"--prefilter", "drop", "--trusted-proxies", "127.0.0.1/32"}, "not with --trusted-proxies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := tagwall(t, append([]string{"serve", "--data-dir", t.TempDir()}, tt.args...)...)
			if code != 2 || !strings.Contains(stderr, tt.want) {
				t.Fatalf("exit %d, stderr %s; want 2 and %q", code, stderr, tt.want)
			}
		})
	}
}
