package api_test

import (
	"os"
	"strings"
	"testing"

	"github.com/tagwall/tagwall/internal/api"
	"github.com/tagwall/tagwall/internal/store/memstore"
)

// TestServeDocs keeps docs/serve.md's generated sections (the endpoints
// and the managed cluster's field policy) equal to the code; -update
// rewrites them.
func TestServeDocs(t *testing.T) {
	h, err := api.New(api.Config{Store: memstore.New(), Auth: api.StaticToken{Token: testToken}})
	if err != nil {
		t.Fatal(err)
	}
	const path = "../../docs/serve.md"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	for _, sec := range []struct{ name, body string }{
		{"endpoints", api.EndpointsMarkdown(h)},
		{"field-policy", api.FieldPolicyMarkdown()},
	} {
		begin, end := "<!-- generated:"+sec.name+" -->\n", "<!-- end generated:"+sec.name+" -->"
		i, j := strings.Index(doc, begin), strings.Index(doc, end)
		if i < 0 || j < i {
			t.Fatalf("%s: markers %q … %q not found", path, begin, end)
		}
		got := doc[i+len(begin) : j]
		if got == sec.body {
			continue
		}
		if !*update {
			t.Errorf("%s: section %s is stale; run go test ./internal/api -run TestServeDocs -update", path, sec.name)
			continue
		}
		doc = doc[:i+len(begin)] + sec.body + doc[j:]
	}
	if *update {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
