package aksref

import (
	"slices"
	"strconv"
	"strings"
)

// KubernetesVersion is one supported minor version and its patch versions.
type KubernetesVersion struct {
	Minor   string   // "1.32"
	Patches []string // "1.32.0" …, ascending
}

// kubernetesVersions is the supported list, ascending by minor. It is
// what `aks get-versions` serves; api.Config.DefaultKubernetesVersion must
// be on it.
var kubernetesVersions = []KubernetesVersion{
	{Minor: "1.31", Patches: patches("1.31", 1, 11)},
	{Minor: "1.32", Patches: patches("1.32", 0, 7)},
	{Minor: "1.33", Patches: patches("1.33", 0, 3)},
	{Minor: "1.34", Patches: patches("1.34", 0, 1)},
}

func patches(minor string, from, to int) []string {
	var out []string
	for p := from; p <= to; p++ {
		out = append(out, minor+"."+strconv.Itoa(p))
	}
	return out
}

// KubernetesVersions returns the supported versions, ascending. The caller
// may modify the result.
func KubernetesVersions() []KubernetesVersion {
	out := make([]KubernetesVersion, len(kubernetesVersions))
	for i, v := range kubernetesVersions {
		out[i] = KubernetesVersion{Minor: v.Minor, Patches: slices.Clone(v.Patches)}
	}
	return out
}

// SupportedKubernetesVersion reports whether v is a supported patch
// version ("1.32.3") or a supported minor version alias ("1.32", which
// AKS resolves to the minor's newest patch).
func SupportedKubernetesVersion(v string) bool {
	_, ok := ResolveKubernetesVersion(v)
	return ok
}

// ResolveKubernetesVersion returns the patch version v stands for: v
// itself for a supported patch version, the newest patch for a supported
// minor alias; ok is false when v is not supported.
func ResolveKubernetesVersion(v string) (patch string, ok bool) {
	for _, kv := range kubernetesVersions {
		if v == kv.Minor {
			return kv.Patches[len(kv.Patches)-1], true
		}
		if strings.HasPrefix(v, kv.Minor+".") && slices.Contains(kv.Patches, v) {
			return v, true
		}
	}
	return "", false
}

// SupportedKubernetesVersionsText lists the supported minors for an error
// message: "1.31, 1.32, 1.33, 1.34".
func SupportedKubernetesVersionsText() string {
	minors := make([]string, len(kubernetesVersions))
	for i, kv := range kubernetesVersions {
		minors[i] = kv.Minor
	}
	return strings.Join(minors, ", ")
}
