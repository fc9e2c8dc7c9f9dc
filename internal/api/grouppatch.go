package api

import (
	"net/http"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
)

func (s *server) registerGroupPatch() {
	s.add(http.MethodPatch, "subscriptions/{sub}/resourceGroups/{rg}", arm.ResourcesVersions, s.patchGroup)
}

// patchGroup is ResourceGroups_Update: tags (when given) replace the
// group's tags and managedBy (when given) is set; the location and the
// name cannot change. It answers 200 with the group, or 404
// ResourceGroupNotFound.
func (s *server) patchGroup(c *call) error {
	var req struct {
		Tags      map[string]string `json:"tags"`
		ManagedBy *string           `json:"managedBy"`
	}
	if err := arm.ReadJSON(c.r, &req, false); err != nil {
		return err
	}
	var out state.ResourceGroup
	err := retry(func() error {
		g, rev, err := s.loadGroup(c)
		if err != nil {
			return err
		}
		if req.Tags != nil {
			g.Tags = req.Tags
		}
		if req.ManagedBy != nil {
			g.ManagedBy = *req.ManagedBy
		}
		out = g
		_, err = s.putRecord(c.r.Context(), state.ResourceGroupKey(c.v("sub"), c.v("rg")), rev, g)
		return err
	})
	if err != nil {
		return err
	}
	arm.WriteJSON(c.w, http.StatusOK, groupJSON(out))
	return nil
}
