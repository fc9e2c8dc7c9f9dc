package console

import (
	"fmt"
	"strings"

	"github.com/tagwall/tagwall/internal/servicetag"
)

// SourcesFromSet turns a servicetag.Set's status into the console's
// per-source lines: which document is in force and how old, what is held
// and why, the last error. serve and the standalone gateway both use it.
func SourcesFromSet(st servicetag.SetStatus) []SourceStatus {
	out := make([]SourceStatus, 0, len(st.Sources))
	for _, s := range st.Sources {
		cs := SourceStatus{Source: s.Source, Origin: string(s.Origin), Cloud: s.Cloud, ChangeNumber: s.ChangeNumber,
			Tags: s.Tags, LastFetch: s.LastFetch, LastSuccess: s.LastSuccess, NextFetch: s.NextFetch}
		if s.Origin != servicetag.OriginNone {
			cs.InForce = s.InForce
		}
		if h := s.Held; h != nil {
			cs.Held = fmt.Sprintf("changeNumber %d: %s", h.ChangeNumber, strings.Join(h.Reasons, "; "))
		}
		if s.Err != nil {
			cs.Error = s.Err.Error()
		}
		out = append(out, cs)
	}
	return out
}
