package api

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
	"github.com/tagwall/tagwall/internal/armthrottle"
)

// call is one routed request.
type call struct {
	w          http.ResponseWriter
	r          *http.Request
	vars       map[string]string
	apiVersion string
	principal  Principal
}

func (c *call) v(name string) string { return c.vars[name] }

type handler func(c *call) error

// route matches a method and a path pattern: literal segments compare
// case-insensitively, "{x}" captures one segment.
type route struct {
	method   string
	pattern  []string
	versions []string // nil: no api-version check
	public   bool     // no authentication
	h        handler
}

func (rt route) match(segs []string) (map[string]string, bool) {
	if len(segs) != len(rt.pattern) {
		return nil, false
	}
	var vars map[string]string
	for i, p := range rt.pattern {
		if strings.HasPrefix(p, "{") {
			if segs[i] == "" {
				return nil, false
			}
			if vars == nil {
				vars = map[string]string{}
			}
			vars[p[1:len(p)-1]] = segs[i]
			continue
		}
		if !strings.EqualFold(p, segs[i]) {
			return nil, false
		}
	}
	return vars, true
}

func (s *server) add(method, pattern string, versions []string, h handler) {
	s.routes = append(s.routes, route{method: method, pattern: strings.Split(strings.Trim(pattern, "/"), "/"), versions: versions, h: h})
}

// ServeHTTP authenticates, routes, checks the api-version and the
// subscription, then runs the handler; any error goes through
// arm.WriteError.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	var found *route
	var vars map[string]string
	pathMatched := false
	for i := range s.routes {
		rt := &s.routes[i]
		v, ok := rt.match(segs)
		if !ok {
			continue
		}
		pathMatched = true
		if rt.method == r.Method || (rt.method == http.MethodGet && r.Method == http.MethodHead && !s.hasHead(segs)) {
			found, vars = rt, v
			break
		}
	}
	c := &call{w: w, r: r, vars: vars}
	if found == nil {
		if err := unsupportedPublic(r, segs); err != nil {
			s.fail(c, err)
			return
		}
	}
	if found == nil || !found.public {
		p, err := s.cfg.Auth.Authenticate(r)
		if err != nil {
			s.fail(c, err)
			return
		}
		c.principal = p
	}
	if found == nil {
		if err := unsupportedOperation(r, segs); err != nil {
			s.fail(c, err)
			return
		}
		if pathMatched {
			s.fail(c, arm.Errorf(http.StatusMethodNotAllowed, "MethodNotAllowed", "The HTTP method '%s' is not supported at '%s'.", arm.Printable(r.Method), arm.Printable(r.URL.Path)))
			return
		}
		s.fail(c, arm.Errorf(http.StatusNotFound, "NotFound", "No HTTP resource was found that matches the request URI '%s'.", arm.Printable(r.URL.Path)))
		return
	}
	if err := s.prepare(c, found); err != nil {
		s.fail(c, err)
		return
	}
	if err := found.h(c); err != nil {
		s.fail(c, err)
	}
}

func (s *server) hasHead(segs []string) bool {
	for _, rt := range s.routes {
		if rt.method == http.MethodHead {
			if _, ok := rt.match(segs); ok {
				return true
			}
		}
	}
	return false
}

// prepare runs the checks every routed request passes before its handler:
// header bytes, the body's media type, the api-version and the
// subscription.
func (s *server) prepare(c *call, rt *route) error {
	if err := arm.CheckHeaders(c.r.Header); err != nil {
		return err
	}
	if err := arm.CheckContentType(c.r); err != nil {
		return err
	}
	if rt.versions != nil {
		v, err := arm.CheckAPIVersion(c.r, rt.versions)
		if err != nil {
			return err
		}
		c.apiVersion = v
	}
	if sub, ok := c.vars["sub"]; ok {
		if !arm.IsSubscriptionID(sub) {
			return arm.Errorf(http.StatusBadRequest, "InvalidSubscriptionId", "The provided subscription identifier '%s' is malformed or invalid.", arm.Printable(sub))
		}
		if !c.principal.Allows(sub) {
			return arm.Errorf(http.StatusForbidden, "AuthorizationFailed",
				"The client '%s' does not have authorization to perform action over scope '/subscriptions/%s'.", c.principal.Name, sub)
		}
	}
	if !rt.public {
		return s.throttle(c)
	}
	return nil
}

// throttle charges c to ARM's token buckets (Config.Throttle): it sets
// the x-ms-ratelimit-remaining-* headers ARM sets and refuses a request
// past the buckets with ARM's 429, whose Retry-After the Azure SDKs and
// az honour. The text is ARM's since its 2024 token buckets (as clients
// report it, e.g. Azure/azure-sdk-for-go users' logs: "Number of 'read'
// requests for subscription '…' actor '…' exceeded. Please try again
// after '10' seconds after additional tokens are available. Refer to
// https://aka.ms/arm-throttling for additional information."); the
// tenant-scope code and text (TenantRequestsThrottled, "for tenant actor
// '…'") are tagwall's, modelled on it.
func (s *server) throttle(c *call) error {
	if s.cfg.Throttle == nil {
		return nil
	}
	sub := c.vars["sub"]
	kind := armthrottle.KindOf(c.r.Method)
	res := s.cfg.Throttle.Take(sub, c.principal.Name, kind)
	scope, code, of := "subscription", "SubscriptionRequestsThrottled", "subscription '"+sub+"'"
	if sub == "" {
		scope, code, of = "tenant", "TenantRequestsThrottled", "tenant"
	}
	h := c.w.Header()
	h.Set("x-ms-ratelimit-remaining-"+scope+"-"+kind.String()+"s", strconv.Itoa(res.Remaining))
	if res.Global >= 0 {
		h.Set("x-ms-ratelimit-remaining-subscription-global-"+kind.String()+"s", strconv.Itoa(res.Global))
	}
	if res.OK {
		return nil
	}
	secs := max(int((res.RetryAfter+time.Second-1)/time.Second), 1)
	h.Set("Retry-After", strconv.Itoa(secs))
	return arm.Errorf(http.StatusTooManyRequests, code,
		"Number of '%s' requests for %s actor '%s' exceeded. Please try again after '%d' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.",
		kind, of, c.principal.Name, secs)
}

func (s *server) fail(c *call, err error) {
	arm.WriteError(c.w, c.r, s.log, err)
}
