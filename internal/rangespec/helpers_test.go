package rangespec

import (
	"fmt"
	"strings"
)

// fakeTags is a tiny TagIndex for tests: it does not depend on servicetag.
type fakeTags []string

var testTags = fakeTags{
	"AzureCloud", "AzureCloud.eastus", "AzureCloud.westus", "AzureCloud.centralfrance",
	"Storage", "Storage.WestUS", "AzureFrontDoor.Backend", "Sql", "AzureDevOps",
}

func (f fakeTags) LookupTag(name string) (string, bool) {
	for _, t := range f {
		if strings.EqualFold(t, name) {
			return t, true
		}
	}
	return "", false
}

func (f fakeTags) TagNames() []string { return f }

var _ TagIndex = fakeTags(nil)

// nAddrs returns n distinct global /32s.
func nAddrs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("20.%d.%d.%d", i>>16&255, i>>8&255, i&255)
	}
	return out
}
