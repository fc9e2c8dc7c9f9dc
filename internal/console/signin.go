package console

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/arm"
)

// signInView is the sign-in page's data.
type signInView struct {
	Next, Token, Error string
	ServicePrincipals  bool
	ClientID           string
}

// signInPage shows the sign-in forms and sets the pre-session cookie whose
// value the forms carry (login CSRF: a form posted from elsewhere has no
// matching cookie, as SameSite=Strict keeps it from cross-site posts).
func (c *Console) signInPage(w http.ResponseWriter, r *http.Request) {
	if s := c.session(r); s != nil {
		http.Redirect(w, r, c.safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	c.renderSignIn(w, r, http.StatusOK, signInView{Next: r.URL.Query().Get("next")})
}

func (c *Console) renderSignIn(w http.ResponseWriter, r *http.Request, status int, v signInView) {
	now := c.now()
	v.Token = randomToken()
	v.ServicePrincipals = c.cfg.ServicePrincipals
	http.SetCookie(w, cookie(preCookie, v.Token, c.cfg.Prefix, now.Add(preCookieTTL), now))
	c.render(w, r, nil, status, "signin", "Sign in", "", v)
}

// signIn exchanges an admin token or a service principal's id and secret
// for a session cookie.
func (c *Console) signIn(w http.ResponseWriter, r *http.Request) {
	next := r.PostFormValue("next")
	pre, err := r.Cookie(preCookie)
	if err != nil || !sameToken(r.PostFormValue("csrf"), pre.Value) || !sameOrigin(r) {
		c.renderSignIn(w, r, http.StatusForbidden, signInView{Next: next,
			Error: "The sign-in form was not accepted (its security token is missing or stale). Try again."})
		return
	}
	cred := Credentials{Token: strings.TrimSpace(r.PostFormValue("token")),
		ClientID: strings.TrimSpace(r.PostFormValue("client_id")), Secret: r.PostFormValue("client_secret")}
	if cred.Token == "" && (cred.ClientID == "" || cred.Secret == "") {
		c.renderSignIn(w, r, http.StatusBadRequest, signInView{Next: next, ClientID: cred.ClientID,
			Error: "Give the admin token, or a service principal's client id and secret."})
		return
	}
	if cred.Token != "" {
		cred.ClientID, cred.Secret = "", ""
	}
	if c.throttle.blocked(r.RemoteAddr, c.now()) {
		c.renderSignIn(w, r, http.StatusTooManyRequests, signInView{Next: next, ClientID: cred.ClientID,
			Error: "Too many failed sign-ins from your address: wait a minute and try again."})
		return
	}
	g, err := c.cfg.Auth.SignIn(r.Context(), r, cred)
	if err != nil {
		c.throttle.fail(r.RemoteAddr, c.now())
		status := http.StatusUnauthorized
		if !errors.Is(err, ErrBadCredentials) {
			c.log.Error("console sign-in", "client_id", arm.Printable(cred.ClientID), "err", err)
			status = http.StatusInternalServerError
		}
		c.log.Info("console sign-in refused", "client_id", arm.Printable(cred.ClientID), "remote", r.RemoteAddr) // a stranger's id: clipped
		c.renderSignIn(w, r, status, signInView{Next: next, ClientID: cred.ClientID,
			Error: "Sign-in failed: the token, client id or secret was not accepted."})
		return
	}
	now := c.now()
	id, s, err := c.sess.create(r.Context(), g, now)
	if err != nil {
		c.log.Error("console sign-in: start the session", "principal", g.Principal.Name, "err", err)
		c.renderSignIn(w, r, http.StatusServiceUnavailable, signInView{Next: next, ClientID: cred.ClientID,
			Error: "Signed in, but the session could not be stored: try again in a moment."})
		return
	}
	http.SetCookie(w, cookie(sessionCookie, id, c.cfg.Prefix, s.expires, now))
	http.SetCookie(w, cookie(preCookie, "", c.cfg.Prefix, time.Time{}, now))
	c.log.Info("console sign-in", "principal", g.Principal.Name, "remote", r.RemoteAddr)
	http.Redirect(w, r, c.safeNext(next), http.StatusSeeOther)
}

// signOut ends the session.
func (c *Console) signOut(w http.ResponseWriter, r *http.Request, s *session) {
	c.dropSession(w, r)
	http.Redirect(w, r, c.cfg.Prefix+"signin", http.StatusSeeOther)
}

func (c *Console) dropSession(w http.ResponseWriter, r *http.Request) {
	if ck, err := r.Cookie(sessionCookie); err == nil {
		c.sess.delete(r.Context(), ck.Value)
	}
	http.SetCookie(w, cookie(sessionCookie, "", c.cfg.Prefix, time.Time{}, c.now()))
}

// safeNext returns next when it is a path inside the console, else the
// clusters page (no open redirect).
func (c *Console) safeNext(next string) string {
	if strings.HasPrefix(next, c.cfg.Prefix) && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return c.cfg.Prefix + "clusters"
}

// sameOrigin reports whether the request's Origin, when sent, is its host.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" {
		return true
	}
	_, host, ok := strings.Cut(o, "://")
	return ok && strings.EqualFold(host, r.Host)
}
