package servicetag

import (
	"os"
	"sync"
	"testing"

	"github.com/tagwall/tagwall/internal/testutil"
)

// sharedFile reads a real published document (see SOURCES.md beside it).
// They are never copied into the repository; a missing file fails the test.
func sharedFile(tb testing.TB, name string) []byte {
	tb.Helper()
	data, err := os.ReadFile(testutil.ServiceTags(tb, name))
	if err != nil {
		tb.Fatalf("shared test data missing (CI must always have it): %v", err)
	}
	return data
}

var (
	parsedMu sync.Mutex
	parsed   = map[string]*Document{}
)

// sharedDoc parses a shared file once per test binary.
func sharedDoc(tb testing.TB, name string) *Document {
	tb.Helper()
	parsedMu.Lock()
	defer parsedMu.Unlock()
	if d, ok := parsed[name]; ok {
		return d
	}
	data := sharedFile(tb, name)
	d, err := Parse(name, data)
	if NextLink(data) != "" { // a discovery page (the API example): one page of a paged answer
		d, err = ParsePages(name, [][]byte{data})
	}
	if err != nil {
		tb.Fatalf("Parse(%s): %v", name, err)
	}
	parsed[name] = d
	return d
}
