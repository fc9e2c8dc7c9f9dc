package aksref

import (
	"fmt"
	"slices"
	"strings"
)

// knownLocations are the ARM short names of the Azure regions (public,
// US Government and China clouds, plus the EUAP canary regions), sorted.
var knownLocations = []string{
	"australiacentral", "australiacentral2", "australiaeast", "australiasoutheast", "austriaeast",
	"belgiumcentral", "brazilsouth", "brazilsoutheast", "canadacentral", "canadaeast", "centralindia",
	"centralus", "centraluseuap", "chilecentral", "chinaeast", "chinaeast2", "chinaeast3", "chinanorth",
	"chinanorth2", "chinanorth3", "eastasia", "eastus", "eastus2", "eastus2euap", "francecentral",
	"francesouth", "germanynorth", "germanywestcentral", "indonesiacentral", "israelcentral", "italynorth",
	"japaneast", "japanwest", "jioindiacentral", "jioindiawest", "koreacentral", "koreasouth",
	"malaysiawest", "mexicocentral", "newzealandnorth", "northcentralus", "northeurope", "norwayeast",
	"norwaywest", "polandcentral", "qatarcentral", "southafricanorth", "southafricawest",
	"southcentralus", "southeastasia", "southindia", "spaincentral", "swedencentral", "swedensouth",
	"switzerlandnorth", "switzerlandwest", "uaecentral", "uaenorth", "uksouth", "ukwest",
	"usdodcentral", "usdodeast", "usgovarizona", "usgovtexas", "usgovvirginia", "westcentralus",
	"westeurope", "westindia", "westus", "westus2", "westus3",
}

// maxLocationLen bounds a location name (the longest Azure name has 18).
const maxLocationLen = 40

// NormalizeLocation returns ARM's short form of a location: lower-case
// with spaces removed ("East US" → "eastus"). It does not validate.
func NormalizeLocation(l string) string {
	return strings.ToLower(strings.ReplaceAll(l, " ", ""))
}

// Locations returns the built-in location names, sorted. The caller may
// modify the result.
func Locations() []string { return slices.Clone(knownLocations) }

// LocationSet is the set of locations a server accepts: the built-in list
// plus extra names. The zero value holds the built-in list only. A
// LocationSet is immutable and safe for concurrent use.
type LocationSet struct {
	extra []string // normalized, sorted, not in knownLocations
}

// NewLocationSet returns the built-in list extended by extra. Each extra
// name is normalized (NormalizeLocation) and must then be 1–40 characters
// of a–z and 0–9; all bad names are reported together.
func NewLocationSet(extra []string) (LocationSet, error) {
	var ls LocationSet
	var bad []string
	for _, e := range extra {
		n := NormalizeLocation(e)
		if !validLocationSyntax(n) {
			bad = append(bad, fmt.Sprintf("%q", e))
			continue
		}
		if !slices.Contains(knownLocations, n) && !slices.Contains(ls.extra, n) {
			ls.extra = append(ls.extra, n)
		}
	}
	if len(bad) > 0 {
		return LocationSet{}, fmt.Errorf("extra locations %s: a location is 1-%d letters a-z and digits after removing spaces", strings.Join(bad, ", "), maxLocationLen)
	}
	slices.Sort(ls.extra)
	return ls, nil
}

// Contains reports whether the normalized form of l is in the set.
func (ls LocationSet) Contains(l string) bool {
	n := NormalizeLocation(l)
	if !validLocationSyntax(n) {
		return false
	}
	_, found := slices.BinarySearch(knownLocations, n)
	return found || slices.Contains(ls.extra, n)
}

// Names returns every location of the set, sorted.
func (ls LocationSet) Names() []string {
	out := append(slices.Clone(knownLocations), ls.extra...)
	slices.Sort(out)
	return out
}

func validLocationSyntax(n string) bool {
	if n == "" || len(n) > maxLocationLen {
		return false
	}
	for i := 0; i < len(n); i++ {
		if c := n[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
