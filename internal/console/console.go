package console

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tagwall/tagwall/internal/store"
)

//go:embed templates/*.html static/*
var assets embed.FS

// Config configures a Console. Auth and Clusters are required.
type Config struct {
	// Prefix is the path the console is mounted at, with both slashes
	// ("/ui/" when empty). The handler expects the full path (no StripPrefix).
	Prefix string
	// Title names the process in the page header ("tagwall serve").
	Title    string
	Auth     Auth
	Clusters ClusterSource
	// Lists changes a cluster's list; nil makes the console read-only
	// (the standalone gateway, whose lists come from its YAML file).
	Lists ListUpdater
	// Tags is the service-tag catalog; nil hides the service-tag page's data.
	Tags TagSource
	// Recorder holds the front door's decisions; nil shows no history.
	Recorder *Recorder
	// ServicePrincipals offers the client id + secret sign-in.
	ServicePrincipals bool
	SessionTTL        time.Duration // 0: DefaultSessionTTL
	MaxSessions       int           // 0: DefaultMaxSessions
	// Store, when set, keeps the sessions (under SessionsPrefix) instead
	// of memory, so replicas that share it share the sessions: a browser
	// behind a balancer stays signed in whichever replica answers.
	Store  store.Store
	Logger *slog.Logger
	Now    func() time.Time
}

// Console is the web console's http.Handler. It is safe for concurrent use.
type Console struct {
	cfg   Config
	sess  *sessions
	mux   *http.ServeMux
	pages map[string]*template.Template
	css   []byte
	icon  []byte
	// throttle limits failed sign-ins per remote address.
	throttle *throttle
	log      *slog.Logger
	// diff is the service-tag page's last diff: catalogs change weekly,
	// pages are viewed far more often.
	diff diffCache
}

// New returns the console for cfg.
func New(cfg Config) (*Console, error) {
	if cfg.Auth == nil || cfg.Clusters == nil {
		return nil, errors.New("configure console: Auth and Clusters are required")
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "/ui/"
	}
	if !strings.HasPrefix(cfg.Prefix, "/") || !strings.HasSuffix(cfg.Prefix, "/") {
		return nil, errors.New("configure console: prefix " + cfg.Prefix + " must start and end with /")
	}
	if cfg.Title == "" {
		cfg.Title = "tagwall"
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = DefaultSessionTTL
	}
	if cfg.MaxSessions <= 0 {
		cfg.MaxSessions = DefaultMaxSessions
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	c := &Console{cfg: cfg, sess: newSessions(cfg.MaxSessions, cfg.SessionTTL, cfg.Store, cfg.Logger), log: cfg.Logger, throttle: newThrottle()}
	if err := c.parse(); err != nil {
		return nil, err
	}
	c.routes()
	return c, nil
}

func (c *Console) parse() error {
	css, err := assets.ReadFile("static/style.css")
	if err != nil {
		return err
	}
	c.css = css
	if c.icon, err = assets.ReadFile("static/favicon.svg"); err != nil {
		return err
	}
	c.pages = map[string]*template.Template{}
	names, err := fs.Glob(assets, "templates/*.html")
	if err != nil {
		return err
	}
	for _, n := range names {
		if n == "templates/layout.html" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs(c.cfg.Prefix)).ParseFS(assets, "templates/layout.html", n)
		if err != nil {
			return errors.New("parse console template " + n + ": " + err.Error())
		}
		c.pages[strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")] = t
	}
	return nil
}

func (c *Console) routes() {
	p := c.cfg.Prefix
	m := http.NewServeMux()
	m.HandleFunc("GET "+p+"{$}", c.authed(func(w http.ResponseWriter, r *http.Request, _ *session) {
		http.Redirect(w, r, p+"clusters", http.StatusSeeOther)
	}))
	m.HandleFunc("GET "+p+"static/style.css", c.static("text/css; charset=utf-8", c.css))
	m.HandleFunc("GET "+p+"static/favicon.svg", c.static("image/svg+xml", c.icon))
	m.HandleFunc("GET "+p+"signin", c.signInPage)
	m.HandleFunc("POST "+p+"signin", c.signIn)
	m.HandleFunc("POST "+p+"signout", c.authed(c.signOut))
	m.HandleFunc("GET "+p+"clusters", c.authed(c.clustersPage))
	m.HandleFunc("GET "+p+"clusters/{sub}/{rg}/{name}", c.authed(c.clusterPage))
	m.HandleFunc("POST "+p+"clusters/{sub}/{rg}/{name}/ranges", c.authed(c.changeRanges))
	m.HandleFunc("GET "+p+"tags", c.authed(c.tagsPage))
	m.HandleFunc("GET "+p+"check", c.authed(c.checkPage))
	m.HandleFunc(p, c.authed(func(w http.ResponseWriter, r *http.Request, _ *session) {
		c.fail(w, r, nil, http.StatusNotFound, "No such page.")
	}))
	c.mux = m
}

// ServeHTTP implements http.Handler. Every answer carries a strict
// Content-Security-Policy and is not cached.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cache-Control", "no-store")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	c.mux.ServeHTTP(w, r)
}

// static serves an embedded asset (no session needed: it holds no data).
func (c *Console) static(contentType string, body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "private, max-age=3600")
		_, _ = w.Write(body)
	}
}

func (c *Console) now() time.Time { return c.cfg.Now().UTC() }

// authedHandler is a handler that runs for a signed-in session.
type authedHandler func(w http.ResponseWriter, r *http.Request, s *session)

// authed runs h for a request with a live session whose credential still
// verifies; anything else is sent to the sign-in page (never data). A
// POST must also carry the session's CSRF token.
func (c *Console) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := c.session(r)
		if s == nil {
			c.toSignIn(w, r)
			return
		}
		p, err := c.cfg.Auth.Verify(r.Context(), r, s.bearer)
		if err != nil {
			c.log.Info("console session credential no longer verifies", "principal", s.principal.Name, "err", err)
			c.dropSession(w, r)
			c.toSignIn(w, r)
			return
		}
		cur := *s // this request's view: the principal as verified now
		cur.principal = p
		if r.Method == http.MethodPost && !c.csrfOK(r, &cur) {
			c.fail(w, r, &cur, http.StatusForbidden, "The form was not accepted: its security token is missing or stale. Reload the page and try again.")
			return
		}
		h(w, r, &cur)
	}
}

func (c *Console) session(r *http.Request) *session {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return nil
	}
	return c.sess.get(r.Context(), ck.Value, c.now())
}

// csrfOK checks the form's token and, when the browser sent one, that
// Origin is this host.
func (c *Console) csrfOK(r *http.Request, s *session) bool {
	return sameOrigin(r) && sameToken(r.PostFormValue("csrf"), s.csrf)
}

// toSignIn redirects to the sign-in page, remembering a GET's path.
func (c *Console) toSignIn(w http.ResponseWriter, r *http.Request) {
	u := c.cfg.Prefix + "signin"
	if r.Method == http.MethodGet && r.URL.Path != c.cfg.Prefix {
		u += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	w.Header().Set("Location", u) // no body: nothing of the page asked for
	w.WriteHeader(http.StatusSeeOther)
}

// view is what every page template gets.
type view struct {
	Title, App, Prefix, Nav string
	User                    *Principal
	CSRF                    string
	Data                    any
}

// render writes page with status; the body is built first so a template
// error becomes a clean 500.
func (c *Console) render(w http.ResponseWriter, r *http.Request, s *session, status int, page, title, nav string, data any) {
	v := view{Title: title, App: c.cfg.Title, Prefix: c.cfg.Prefix, Nav: nav, Data: data}
	if s != nil {
		v.User, v.CSRF = &s.principal, s.csrf
	}
	t := c.pages[page]
	var buf bytes.Buffer
	if t == nil {
		c.log.Error("render console page", "page", page, "err", "no such template")
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.Execute(&buf, v); err != nil {
		c.log.Error("render console page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// fail renders an error page.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, status int, msg string) {
	c.render(w, r, s, status, "error", http.StatusText(status), "", msg)
}

// internal logs err in full and shows a generic message.
func (c *Console) internal(w http.ResponseWriter, r *http.Request, s *session, op string, err error) {
	c.log.Error("console "+op, "path", r.URL.Path, "err", err)
	c.fail(w, r, s, http.StatusInternalServerError, "Something went wrong on the server; the log has the details.")
}

// visibleClusters lists the clusters s may see.
func (c *Console) visibleClusters(ctx context.Context, s *session) ([]Cluster, error) {
	var subs []string // every subscription
	if !s.principal.AllSubscriptions {
		subs = s.principal.Subscriptions
		if len(subs) == 0 {
			return nil, nil
		}
	}
	all, err := c.cfg.Clusters.Clusters(ctx, subs)
	if err != nil {
		return nil, err
	}
	out := all[:0:0]
	for i := range all {
		if s.principal.Allows(all[i].Subscription) {
			out = append(out, all[i])
		}
	}
	return out, nil
}

// findCluster returns the visible cluster ref names; a cluster of another
// subscription is "not found", exactly as a missing one.
func (c *Console) findCluster(ctx context.Context, s *session, ref Ref) (*Cluster, error) {
	if !s.principal.Allows(ref.Subscription) {
		return nil, nil
	}
	all, err := c.cfg.Clusters.Clusters(ctx, []string{ref.Subscription})
	if err != nil {
		return nil, err
	}
	for i := range all {
		if ref.Matches(&all[i]) {
			return &all[i], nil
		}
	}
	return nil, nil
}
