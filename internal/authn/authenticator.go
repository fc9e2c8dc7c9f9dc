package authn

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/tagwall/tagwall/internal/arm"
)

// Authenticator returns the arm.Authenticator of the control plane: a
// bearer token shaped like a JWT must be one issued by s (see the package
// contract); any other bearer token goes to static (the admin token).
func (s *Service) Authenticator(static arm.Authenticator) arm.Authenticator {
	return authenticator{s: s, static: static}
}

type authenticator struct {
	s      *Service
	static arm.Authenticator
}

// Authenticate implements arm.Authenticator.
func (a authenticator) Authenticate(r *http.Request) (arm.Principal, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return arm.Principal{}, arm.ErrMissingToken
	}
	scheme, tok, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Bearer") || !looksLikeJWT(tok) {
		if a.static == nil {
			return arm.Principal{}, arm.ErrInvalidToken
		}
		return a.static.Authenticate(r)
	}
	return a.s.principalFor(r.Context(), tok, arm.BaseURL(r))
}

// principalFor verifies tok for base and looks up its service principal,
// so a deleted principal's tokens stop working at once.
func (s *Service) principalFor(ctx context.Context, tok, base string) (arm.Principal, error) {
	c, err := s.verify(tok, base)
	if err != nil {
		return arm.Principal{}, err
	}
	sp, err := getPrincipal(ctx, s.cfg.Store, c.AppID)
	if errors.Is(err, ErrPrincipalNotFound) {
		return arm.Principal{}, arm.ErrInvalidToken
	}
	if err != nil {
		return arm.Principal{}, err
	}
	return arm.Principal{Name: sp.ClientID, AllSubscriptions: sp.AllSubscriptions, Subscriptions: sp.Subscriptions}, nil
}

// APISubscriptions lists the subscriptions in the api package's shape
// (for api.Config.SubscriptionSource).
func (s *Service) APISubscriptions(ctx context.Context) ([]arm.Subscription, error) {
	subs, err := s.Subscriptions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]arm.Subscription, len(subs))
	for i, sub := range subs {
		out[i] = arm.Subscription{ID: sub.ID, DisplayName: sub.DisplayName, TenantID: sub.TenantID}
	}
	return out, nil
}

var _ arm.Authenticator = authenticator{}
