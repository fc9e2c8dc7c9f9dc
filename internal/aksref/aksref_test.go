package aksref

import (
	"slices"
	"testing"
)

func TestLocations(t *testing.T) {
	if !slices.IsSorted(knownLocations) {
		t.Fatal("knownLocations must be sorted (Contains binary-searches it)")
	}
	ls, err := NewLocationSet([]string{"Mars Central", "eastus"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{name: "short form", in: "eastus", want: true},
		{name: "display form", in: "East US", want: true},
		{name: "upper case", in: "WESTEUROPE", want: true},
		{name: "extra", in: "marscentral", want: true},
		{name: "unknown", in: "atlantis", want: false},
		{name: "empty", in: "", want: false},
		{name: "bidi override", in: "eastus\u202e", want: false},
		{name: "nul", in: "eastus\x00", want: false},
		{name: "too long", in: string(make([]byte, 4000)), want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ls.Contains(tt.in); got != tt.want {
				t.Fatalf("Contains(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
	if (LocationSet{}).Contains("marscentral") {
		t.Fatal("the zero LocationSet must hold the built-in list only")
	}
	if n := ls.Names(); len(n) != len(knownLocations)+1 || !slices.IsSorted(n) {
		t.Fatalf("Names: %d names, sorted %v", len(n), slices.IsSorted(n))
	}
}

func TestNewLocationSetRefusesBadNames(t *testing.T) {
	for _, bad := range []string{"", "east-us", "east\u202eus", "ü"} {
		if _, err := NewLocationSet([]string{"ok", bad}); err == nil {
			t.Errorf("NewLocationSet(%q): no error", bad)
		}
	}
}

func TestKubernetesVersions(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{in: "1.31.5", want: "1.31.5", ok: true},
		{in: "1.32", want: "1.32.7", ok: true},
		{in: "1.34.1", want: "1.34.1", ok: true},
		{in: "1.30.0", ok: false},
		{in: "1.3", ok: false},
		{in: "1.31.", ok: false},
		{in: "1.31.5 ", ok: false},
		{in: `"><script>`, ok: false},
		{in: "", ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ResolveKubernetesVersion(tt.in)
			if got != tt.want || ok != tt.ok || SupportedKubernetesVersion(tt.in) != tt.ok {
				t.Fatalf("Resolve(%q) = %q %v, want %q %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
	vs := KubernetesVersions()
	vs[0].Patches[0] = "mutated"
	if kubernetesVersions[0].Patches[0] == "mutated" {
		t.Fatal("KubernetesVersions returned the package's own slices")
	}
}
