package api

import (
	"net/http"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
)

func (s *server) registerProviders() {
	v := arm.ResourcesVersions
	s.add(http.MethodGet, "subscriptions/{sub}/providers", v, s.listProviders)
	s.add(http.MethodGet, "subscriptions/{sub}/providers/{ns}", v, s.getProvider)
	s.add(http.MethodPost, "subscriptions/{sub}/providers/{ns}/register", v, s.registerProvider)
	s.add(http.MethodPost, "subscriptions/{sub}/providers/{ns}/unregister", v, s.unregisterProvider)
}

type providerBody struct {
	ID                 string             `json:"id"`
	Namespace          string             `json:"namespace"`
	RegistrationState  string             `json:"registrationState"`
	RegistrationPolicy string             `json:"registrationPolicy"`
	ResourceTypes      []resourceTypeBody `json:"resourceTypes"`
}

type resourceTypeBody struct {
	ResourceType string   `json:"resourceType"`
	Locations    []string `json:"locations"`
	APIVersions  []string `json:"apiVersions"`
	Capabilities string   `json:"capabilities"`
}

func providerJSON(sub string, info state.ProviderInfo, p state.Provider) providerBody {
	b := providerBody{
		ID: "/subscriptions/" + sub + "/providers/" + info.Namespace, Namespace: info.Namespace,
		RegistrationState: p.State, RegistrationPolicy: "RegistrationRequired", ResourceTypes: []resourceTypeBody{},
	}
	if info.RegistrationFree {
		b.RegistrationPolicy, b.RegistrationState = "RegistrationFree", state.ProviderRegistered
	}
	for _, t := range info.Types {
		locs := t.Locations
		if locs == nil {
			locs = []string{}
		}
		b.ResourceTypes = append(b.ResourceTypes, resourceTypeBody{t.ResourceType, locs, t.APIVersions, "None"})
	}
	return b
}

func (s *server) loadProvider(c *call, ns string) (state.ProviderInfo, state.Provider, int64, error) {
	info, ok := state.LookupProvider(ns)
	if !ok {
		return info, state.Provider{}, 0, arm.Errorf(http.StatusNotFound, "InvalidResourceNamespace",
			"The resource namespace '%s' is invalid.", ns)
	}
	p := state.Provider{Subscription: c.v("sub"), Namespace: info.Namespace, State: state.ProviderNotRegistered}
	rev, err := s.getRecord(c.r.Context(), state.ProviderKey(c.v("sub"), info.Namespace), &p)
	return info, p, rev, err
}

func (s *server) getProvider(c *call) error {
	info, p, _, err := s.loadProvider(c, c.v("ns"))
	if err != nil {
		return err
	}
	arm.WriteJSON(c.w, http.StatusOK, providerJSON(c.v("sub"), info, p))
	return nil
}

func (s *server) listProviders(c *call) error {
	out := []providerBody{}
	for _, k := range state.KnownProviders {
		info, p, _, err := s.loadProvider(c, k.Namespace)
		if err != nil {
			return err
		}
		out = append(out, providerJSON(c.v("sub"), info, p))
	}
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{"value": out})
	return nil
}

func (s *server) registerProvider(c *call) error { return s.changeProvider(c, true) }

func (s *server) unregisterProvider(c *call) error { return s.changeProvider(c, false) }

// changeProvider registers (recording the time: features registered before
// it take effect) or unregisters a provider. Both complete at once.
func (s *server) changeProvider(c *call, register bool) error {
	var info state.ProviderInfo
	var out state.Provider
	err := retry(func() error {
		i, p, rev, err := s.loadProvider(c, c.v("ns"))
		if err != nil {
			return err
		}
		info = i
		p.Subscription = c.v("sub")
		if register {
			p.State, p.RegisteredAt = state.ProviderRegistered, s.now()
		} else {
			p.State = state.ProviderUnregistered
		}
		out = p
		_, err = s.putRecord(c.r.Context(), state.ProviderKey(p.Subscription, p.Namespace), rev, p)
		return err
	})
	if err != nil {
		return err
	}
	arm.WriteJSON(c.w, http.StatusOK, providerJSON(c.v("sub"), info, out))
	return nil
}
