package authn

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
)

// CreatePrincipalRequest is the body of POST /tagwall/servicePrincipals.
type CreatePrincipalRequest struct {
	DisplayName      string   `json:"displayName"`
	Subscriptions    []string `json:"subscriptions"`
	AllSubscriptions bool     `json:"allSubscriptions"`
}

// PrincipalBody is a service principal as the admin API shows it. Password
// is set only in the answer to its creation (like az ad sp
// create-for-rbac: appId, displayName, password, tenant).
type PrincipalBody struct {
	AppID            string    `json:"appId"`
	DisplayName      string    `json:"displayName"`
	Password         string    `json:"password,omitempty"`
	Tenant           string    `json:"tenant"`
	AllSubscriptions bool      `json:"allSubscriptions"`
	Subscriptions    []string  `json:"subscriptions"`
	Created          time.Time `json:"created"`
}

// CreateSubscriptionRequest is the body of POST /tagwall/subscriptions.
type CreateSubscriptionRequest struct {
	SubscriptionID string `json:"subscriptionId"` // "": a new GUID
	DisplayName    string `json:"displayName"`
}

// SubscriptionBody is a subscription as GET /subscriptions shows it.
type SubscriptionBody struct {
	ID             string `json:"id"`
	SubscriptionID string `json:"subscriptionId"`
	TenantID       string `json:"tenantId"`
	DisplayName    string `json:"displayName"`
	State          string `json:"state"`
}

// serveAdmin answers /tagwall/servicePrincipals[/{appId}] and
// /tagwall/subscriptions for a principal of every subscription.
func (s *Service) serveAdmin(w http.ResponseWriter, r *http.Request, segs []string, auth arm.Authenticator) {
	fail := func(err error) { arm.WriteError(w, r, s.log, adminError(err)) }
	if auth == nil {
		fail(arm.ErrInvalidToken)
		return
	}
	p, err := auth.Authenticate(r)
	if err != nil {
		fail(err)
		return
	}
	if !p.AllSubscriptions {
		fail(arm.Errorf(http.StatusForbidden, "AuthorizationFailed",
			"The client '%s' does not have authorization to administer tagwall.", p.Name))
		return
	}
	kind := ""
	if len(segs) > 0 {
		kind = strings.ToLower(segs[0])
	}
	switch {
	case kind == "serviceprincipals" && len(segs) == 1 && r.Method == http.MethodPost:
		err = s.postPrincipal(w, r)
	case kind == "serviceprincipals" && len(segs) == 1 && isGet(r):
		err = s.listPrincipals(w, r)
	case kind == "serviceprincipals" && len(segs) == 2 && r.Method == http.MethodDelete:
		if err = s.DeletePrincipal(r.Context(), segs[1]); err == nil {
			w.WriteHeader(http.StatusNoContent)
		}
	case kind == "subscriptions" && len(segs) == 1 && r.Method == http.MethodPost:
		err = s.postSubscription(w, r)
	case kind == "subscriptions" && len(segs) == 1 && isGet(r):
		err = s.listSubscriptions(w, r)
	default:
		err = arm.Errorf(http.StatusNotFound, "NotFound", "No HTTP resource was found that matches the request URI '%s'.", r.URL.Path)
	}
	if err != nil {
		fail(err)
	}
}

func (s *Service) postPrincipal(w http.ResponseWriter, r *http.Request) error {
	var req CreatePrincipalRequest
	if err := arm.ReadJSON(r, &req, true); err != nil {
		return err
	}
	sp, secret, err := s.CreatePrincipal(r.Context(), PrincipalSpec{DisplayName: req.DisplayName, Subscriptions: req.Subscriptions, AllSubscriptions: req.AllSubscriptions})
	if err != nil {
		return err
	}
	b := principalBody(sp, s.cfg.Tenant)
	b.Password = secret
	arm.WriteJSON(w, http.StatusCreated, b)
	return nil
}

func (s *Service) listPrincipals(w http.ResponseWriter, r *http.Request) error {
	sps, err := s.Principals(r.Context())
	if err != nil {
		return err
	}
	out := make([]PrincipalBody, len(sps))
	for i, sp := range sps {
		out[i] = principalBody(sp, s.cfg.Tenant)
	}
	arm.WriteJSON(w, http.StatusOK, map[string]any{"value": out})
	return nil
}

func principalBody(sp ServicePrincipal, tenant string) PrincipalBody {
	subs := sp.Subscriptions
	if subs == nil {
		subs = []string{}
	}
	return PrincipalBody{AppID: sp.ClientID, DisplayName: sp.DisplayName, Tenant: tenant,
		AllSubscriptions: sp.AllSubscriptions, Subscriptions: subs, Created: sp.Created}
}

func (s *Service) postSubscription(w http.ResponseWriter, r *http.Request) error {
	var req CreateSubscriptionRequest
	if err := arm.ReadJSON(r, &req, true); err != nil {
		return err
	}
	sub, err := s.CreateSubscription(r.Context(), req.SubscriptionID, req.DisplayName)
	if err != nil {
		return err
	}
	arm.WriteJSON(w, http.StatusCreated, subscriptionBody(sub))
	return nil
}

func (s *Service) listSubscriptions(w http.ResponseWriter, r *http.Request) error {
	subs, err := s.Subscriptions(r.Context())
	if err != nil {
		return err
	}
	out := make([]SubscriptionBody, len(subs))
	for i, sub := range subs {
		out[i] = subscriptionBody(sub)
	}
	arm.WriteJSON(w, http.StatusOK, map[string]any{"value": out})
	return nil
}

func subscriptionBody(sub Subscription) SubscriptionBody {
	return SubscriptionBody{ID: "/subscriptions/" + sub.ID, SubscriptionID: sub.ID, TenantID: sub.TenantID,
		DisplayName: sub.DisplayName, State: "Enabled"}
}

// adminError maps the package's sentinels to ARM errors.
func adminError(err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, ErrSubscriptionNotFound):
		return arm.Errorf(http.StatusNotFound, "SubscriptionNotFound", "%s", msg)
	case errors.Is(err, ErrSubscriptionExists):
		return arm.Errorf(http.StatusConflict, "Conflict", "%s", msg)
	case errors.Is(err, ErrPrincipalNotFound):
		return arm.Errorf(http.StatusNotFound, "NotFound", "%s", msg)
	case errors.Is(err, errBadSubscriptionID):
		return arm.Errorf(http.StatusBadRequest, "InvalidSubscriptionId", "%s", msg)
	case errors.Is(err, errNoScope):
		return arm.Errorf(http.StatusBadRequest, "InvalidRequestContent", "%s", msg)
	}
	return err
}
