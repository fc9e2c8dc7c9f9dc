package api

import (
	"net/http"
	"strings"

	"github.com/tagwall/tagwall/internal/aksref"
	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
)

func (s *server) registerGroups() {
	v := arm.ResourcesVersions
	const one = "subscriptions/{sub}/resourceGroups/{rg}"
	s.add(http.MethodGet, "subscriptions/{sub}/resourceGroups", v, s.listGroups)
	s.add(http.MethodPut, one, v, s.putGroup)
	s.add(http.MethodGet, one, v, s.getGroup)
	s.add(http.MethodHead, one, v, s.headGroup)
	s.add(http.MethodDelete, one, v, s.deleteGroup)
}

type groupBody struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Type       string            `json:"type"`
	Location   string            `json:"location"`
	ManagedBy  string            `json:"managedBy,omitempty"`
	Tags       map[string]string `json:"tags"`
	Properties map[string]string `json:"properties"`
}

func groupJSON(g state.ResourceGroup) groupBody {
	tags := g.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return groupBody{ID: arm.ResourceGroupID(g.Subscription, g.Name), Name: g.Name, Type: "Microsoft.Resources/resourceGroups",
		Location: g.Location, ManagedBy: g.ManagedBy, Tags: tags, Properties: map[string]string{"provisioningState": "Succeeded"}}
}

// loadGroup returns the group, or 404 ResourceGroupNotFound.
func (s *server) loadGroup(c *call) (state.ResourceGroup, int64, error) {
	var g state.ResourceGroup
	rev, err := s.getRecord(c.r.Context(), state.ResourceGroupKey(c.v("sub"), c.v("rg")), &g)
	if err == nil && rev == 0 {
		err = arm.ResourceGroupNotFound(c.v("rg"))
	}
	return g, rev, err
}

func (s *server) putGroup(c *call) error {
	var req struct {
		Location  string            `json:"location"`
		Tags      map[string]string `json:"tags"`
		ManagedBy string            `json:"managedBy"`
	}
	if err := arm.ReadJSON(c.r, &req, false); err != nil {
		return err
	}
	if req.Location == "" {
		return arm.Errorf(http.StatusBadRequest, "LocationRequired", "The location property is required for this definition.")
	}
	status := http.StatusOK
	var out state.ResourceGroup
	err := retry(func() error {
		var g state.ResourceGroup
		rev, err := s.getRecord(c.r.Context(), state.ResourceGroupKey(c.v("sub"), c.v("rg")), &g)
		if err != nil {
			return err
		}
		if rev != 0 && aksref.NormalizeLocation(g.Location) != aksref.NormalizeLocation(req.Location) {
			return arm.Errorf(http.StatusConflict, "InvalidResourceGroupLocation",
				"Invalid resource group location '%s'. The Resource group already exists in location '%s'.", req.Location, g.Location)
		}
		if rev == 0 {
			if err := validResourceGroupName("InvalidResourceGroupName", "resourceGroupName", c.v("rg")); err != nil {
				return err
			}
			if err := s.checkLocation(req.Location, true); err != nil {
				return err
			}
			status = http.StatusCreated
			g = state.ResourceGroup{Subscription: c.v("sub"), Name: c.v("rg"), Location: aksref.NormalizeLocation(req.Location), CreatedAt: s.now()}
		}
		g.Tags, g.ManagedBy = req.Tags, req.ManagedBy
		out = g
		write := func() error {
			_, err := s.putRecord(c.r.Context(), state.ResourceGroupKey(c.v("sub"), c.v("rg")), rev, g)
			return err
		}
		if rev != 0 {
			return write()
		}
		return s.createWithin(c.r.Context(), groupQuota, c.v("sub"), write)
	})
	if err != nil {
		return err
	}
	arm.WriteJSON(c.w, status, groupJSON(out))
	return nil
}

func (s *server) getGroup(c *call) error {
	g, _, err := s.loadGroup(c)
	if err != nil {
		return err
	}
	arm.WriteJSON(c.w, http.StatusOK, groupJSON(g))
	return nil
}

func (s *server) headGroup(c *call) error {
	rev, err := s.getRecord(c.r.Context(), state.ResourceGroupKey(c.v("sub"), c.v("rg")), &state.ResourceGroup{})
	if err != nil {
		return err
	}
	if rev == 0 {
		c.w.WriteHeader(http.StatusNotFound)
		return nil
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *server) listGroups(c *call) error {
	kvs, _, err := s.cfg.Store.List(c.r.Context(), state.ResourceGroupsPrefix+strings.ToLower(c.v("sub"))+"/")
	if err != nil {
		return err
	}
	out := []groupBody{}
	for _, kv := range kvs {
		var g state.ResourceGroup
		if err := state.Decode(kv.Key, kv.Value, &g); err != nil {
			return err
		}
		out = append(out, groupJSON(g))
	}
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{"value": out})
	return nil
}

// deleteGroup marks the group's clusters Deleting, then removes the group.
//
// A missing group is ARM's 404 ResourceGroupNotFound, as on Azure ("(ResourceGroupNotFound)
// Resource group 'x' could not be found." from az group delete); a 204 made
// az print "Operation returned an invalid status 'No Content'".
func (s *server) deleteGroup(c *call) error {
	_, rev, err := s.loadGroup(c)
	if err != nil {
		return err
	}
	kvs, _, err := s.cfg.Store.List(c.r.Context(), state.ClustersInGroupPrefix(c.v("sub"), c.v("rg")))
	if err != nil {
		return err
	}
	for _, kv := range kvs {
		var mc state.ManagedCluster
		if err := state.Decode(kv.Key, kv.Value, &mc); err != nil {
			return err
		}
		if _, err := s.markDeleting(c, &mc, kv.ModRevision); err != nil {
			return err
		}
	}
	if _, err := s.cfg.Store.Delete(c.r.Context(), state.ResourceGroupKey(c.v("sub"), c.v("rg")), rev); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusOK)
	return nil
}
