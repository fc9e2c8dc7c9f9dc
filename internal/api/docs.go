package api

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
)

// EndpointsMarkdown renders the routes of a handler made by New as the
// Markdown table of docs/serve.md ("" for any other handler): method,
// path and accepted api-versions, in path order.
func EndpointsMarkdown(h http.Handler) string {
	s, ok := h.(*server)
	if !ok {
		return ""
	}
	rows := make([]string, 0, len(s.routes))
	for _, rt := range s.routes {
		versions := "any"
		if rt.versions != nil {
			versions = rt.versions[0] + " … " + rt.versions[len(rt.versions)-1]
			if len(rt.versions) == 1 {
				versions = rt.versions[0]
			}
		}
		rows = append(rows, fmt.Sprintf("| `/%s` | %s | %s |", strings.Join(rt.pattern, "/"), rt.method, versions))
	}
	sort.Strings(rows)
	return "| path | method | api-version |\n| --- | --- | --- |\n" + strings.Join(rows, "\n") + "\n"
}
