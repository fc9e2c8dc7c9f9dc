package server

import (
	"strings"
	"testing"
)

func TestParseUpstream(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Upstream
		wantErr string
	}{
		{name: "by name", in: "myAKSCluster=127.0.0.1:6444", want: Upstream{Cluster: "myAKSCluster", Addr: "127.0.0.1:6444"}},
		{name: "by id with ca", in: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c=k3s.local:6443,ca=/etc/k3s/ca.crt",
			want: Upstream{Cluster: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/c", Addr: "k3s.local:6443", CAFile: "/etc/k3s/ca.crt"}},
		{name: "ipv6", in: "c=[::1]:6443", want: Upstream{Cluster: "c", Addr: "[::1]:6443"}},
		{name: "no equals", in: "127.0.0.1:6443", wantErr: "want CLUSTER=HOST:PORT"},
		{name: "no port", in: "c=127.0.0.1", wantErr: "not host:port"},
		{name: "unknown option", in: "c=127.0.0.1:1,token=x", wantErr: `unknown option "token"`},
		{name: "empty ca", in: "c=127.0.0.1:1,ca=", wantErr: "empty ca"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseUpstream(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v %v, want %+v", got, err, tt.want)
			}
		})
	}
}

func TestUpstreamMatches(t *testing.T) {
	id := "/subscriptions/S/resourceGroups/RG/providers/Microsoft.ContainerService/managedClusters/Seed"
	tests := []struct {
		name    string
		cluster string
		want    bool
	}{
		{name: "id exact", cluster: id, want: true},
		{name: "id other case", cluster: strings.ToLower(id), want: true},
		{name: "name", cluster: "seed", want: true},
		{name: "other name", cluster: "other", want: false},
		{name: "other id same name", cluster: "/subscriptions/S/resourceGroups/X/providers/Microsoft.ContainerService/managedClusters/Seed", want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := (Upstream{Cluster: tt.cluster}).matches(id); got != tt.want {
				t.Fatalf("matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestReachable(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "loopback", in: "127.0.0.1:8443", want: "127.0.0.1:8443"},
		{name: "any v4", in: "0.0.0.0:8443", want: "127.0.0.1:8443"},
		{name: "any v6", in: "[::]:8443", want: "127.0.0.1:8443"},
		{name: "empty host", in: ":8443", want: "127.0.0.1:8443"},
		{name: "name", in: "tagwall.example:1", want: "tagwall.example:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := reachable(tt.in); got != tt.want {
				t.Fatalf("reachable(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
