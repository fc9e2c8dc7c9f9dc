package api

import (
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/state"
)

func (s *server) registerFeatures() {
	const base = "subscriptions/{sub}/providers/Microsoft.Features/"
	v := arm.FeaturesVersions
	s.add(http.MethodGet, base+"features", v, s.listFeatures)
	s.add(http.MethodGet, base+"providers/{ns}/features", v, s.listFeatures)
	s.add(http.MethodGet, base+"providers/{ns}/features/{feature}", v, s.getFeature)
	s.add(http.MethodPost, base+"providers/{ns}/features/{feature}/register", v, s.registerFeature)
	s.add(http.MethodPost, base+"providers/{ns}/features/{feature}/unregister", v, s.unregisterFeature)
}

// featureResult is Microsoft.Features' FeatureResult.
type featureResult struct {
	ID         string            `json:"id"`
	Name       string            `json:"name"`
	Properties featureProperties `json:"properties"`
	Type       string            `json:"type"`
}

type featureProperties struct {
	State string `json:"state"`
}

func featureBody(sub string, f state.Feature) featureResult {
	return featureResult{
		ID:         "/subscriptions/" + sub + "/providers/Microsoft.Features/providers/" + f.Namespace + "/features/" + f.Name,
		Name:       f.Namespace + "/" + f.Name,
		Properties: featureProperties{State: f.State},
		Type:       "Microsoft.Features/providers/features",
	}
}

// loadFeature returns the feature's effective record and its revision.
func (s *server) loadFeature(c *call) (state.Feature, int64, error) {
	ns, name, ok := state.LookupFeature(c.v("ns"), c.v("feature"))
	if !ok {
		// Microsoft.Features' text, quoted by az as "The feature
		// 'StartStopPreview' could not be found." (MicrosoftDocs/azure-docs
		// #71962, #70599; Azure/azure-cli #32059).
		return state.Feature{}, 0, arm.Errorf(http.StatusNotFound, "FeatureNotFound",
			"The feature '%s' could not be found.", arm.Printable(c.v("feature")))
	}
	f := state.Feature{Subscription: c.v("sub"), Namespace: ns, Name: name, State: state.FeatureNotRegistered}
	rev, err := s.getRecord(c.r.Context(), state.FeatureKey(c.v("sub"), ns, name), &f)
	if err != nil {
		return f, 0, err
	}
	return f.Effective(s.now()), rev, nil
}

func (s *server) getFeature(c *call) error {
	f, _, err := s.loadFeature(c)
	if err != nil {
		return err
	}
	arm.WriteJSON(c.w, http.StatusOK, featureBody(c.v("sub"), f))
	return nil
}

func (s *server) listFeatures(c *call) error {
	ctx := c.r.Context()
	kvs, _, err := s.cfg.Store.List(ctx, state.FeaturesPrefix+strings.ToLower(c.v("sub"))+"/")
	if err != nil {
		return err
	}
	stored := map[string]state.Feature{}
	for _, kv := range kvs {
		var f state.Feature
		if err := state.Decode(kv.Key, kv.Value, &f); err != nil {
			return err
		}
		stored[strings.ToLower(f.Namespace+"/"+f.Name)] = f
	}
	out := []featureResult{}
	for ns, names := range state.KnownFeatures {
		if c.v("ns") != "" && !strings.EqualFold(ns, c.v("ns")) {
			continue
		}
		for _, n := range names {
			f, ok := stored[strings.ToLower(ns+"/"+n)]
			if !ok {
				f = state.Feature{Namespace: ns, Name: n, State: state.FeatureNotRegistered}
			}
			out = append(out, featureBody(c.v("sub"), f.Effective(s.now())))
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	arm.WriteJSON(c.w, http.StatusOK, map[string]any{"value": out})
	return nil
}

func (s *server) registerFeature(c *call) error { return s.changeFeature(c, true) }

func (s *server) unregisterFeature(c *call) error { return s.changeFeature(c, false) }

// changeFeature starts Registering or Unregistering unless the feature is
// already there or on its way, and answers the FeatureResult.
func (s *server) changeFeature(c *call, register bool) error {
	out, err := s.transitionFeature(c, register)
	if err != nil {
		return err
	}
	arm.WriteJSON(c.w, http.StatusOK, featureBody(c.v("sub"), out))
	return nil
}

// transitionFeature is changeFeature's state change; it returns the
// feature as it now is.
func (s *server) transitionFeature(c *call, register bool) (state.Feature, error) {
	var out state.Feature
	err := retry(func() error {
		f, rev, err := s.loadFeature(c)
		if err != nil {
			return err
		}
		out = f
		if register && (f.State == state.FeatureRegistered || f.State == state.FeatureRegistering) {
			return nil
		}
		if !register && f.State != state.FeatureRegistered && f.State != state.FeatureRegistering {
			if f.State == state.FeatureNotRegistered {
				out.State = state.FeatureUnregistered
			}
			return nil
		}
		now := s.now()
		f.Subscription = c.v("sub")
		if register {
			f.State, f.Deadline = state.FeatureRegistering, now.Add(s.cfg.FeatureDelay)
		} else {
			f.State, f.Deadline, f.RegisteredAt = state.FeatureUnregistering, now.Add(s.cfg.FeatureDelay), time.Time{}
		}
		if s.cfg.FeatureDelay < 0 {
			f = f.Effective(now)
		}
		if _, err := s.putRecord(c.r.Context(), state.FeatureKey(f.Subscription, f.Namespace, f.Name), rev, f); err != nil {
			return err
		}
		out = f
		return nil
	})
	return out, err
}
