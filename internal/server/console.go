package server

import (
	"net/http"
	"time"

	"github.com/tagwall/tagwall/internal/console"
	"github.com/tagwall/tagwall/internal/gateway"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// ConsolePath is where the web console is served on the API address.
const ConsolePath = "/ui/"

// newRecorder makes the console's decision recorder (nil when the console
// is off: the front door then reports to no one).
func (m *Main) newRecorder() {
	if m.cfg.DisableConsole {
		return
	}
	m.rec = console.NewRecorder(console.RecorderConfig{Reasons: []string{gateway.ReasonAuthorized, gateway.ReasonNotAuthorized}})
	m.reg.MustRegister(m.rec)
}

// decisions is the front door's Config.Decisions.
func (m *Main) decisions() gateway.DecisionRecorder {
	if m.rec == nil {
		return nil
	}
	return m.rec
}

// withConsole serves the console under ConsolePath beside the API (h: the
// API with /adfs), on the same listener and certificate. The console calls
// h in-process with the signed-in user's own credential.
func (m *Main) withConsole(h http.Handler) (http.Handler, error) {
	if m.cfg.DisableConsole {
		return h, nil
	}
	auth := m.authenticator()
	backend := &console.APIBackend{Handler: h, Authenticate: auth.Authenticate}
	system := make([]string, len(m.cfg.SystemRanges))
	for i, p := range m.cfg.SystemRanges {
		system[i] = p.String()
	}
	ui, err := console.New(console.Config{
		Prefix: ConsolePath, Title: "tagwall serve", Auth: backend, Lists: backend, ServicePrincipals: true,
		Clusters: &console.StoreClusters{Store: m.store, Route: m.consoleRoute,
			Server: func() string { return "https://" + m.gatewayAdvertise() }, SystemRanges: system},
		Tags: serveTags{m}, Recorder: m.rec, Logger: m.log.With("component", "console"), Now: m.cfg.Now,
		Store: m.store, // sessions: shared by replicas, kept across restarts
	})
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.Handle(ConsolePath, ui)
	mux.Handle("/", h)
	return mux, nil
}

// noteRoutes tells the console the applied route table (controller
// goroutine).
func (m *Main) noteRoutes(gw []gateway.Route) {
	if m.rec == nil {
		return
	}
	names := make([]string, len(gw))
	for i, r := range gw {
		names[i] = r.Name
	}
	m.rec.SetRoutes(names)
}

// syncRecorder gives the recorder the routes in force at most once a
// second after routes were removed (applyChanges), so an incremental
// change never costs a pass over every route; a new route's history is
// added at its first decision. It runs until Close.
func (m *Main) syncRecorder() {
	if m.rec == nil {
		return
	}
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-t.C:
			if m.recStale.Swap(false) {
				m.noteRoutes(m.gw.Routes())
			}
		}
	}
}

// consoleRoute is the route in force of a cluster, for the console, read
// at the console's request.
func (m *Main) consoleRoute(id string) (console.Route, bool) {
	r, ok := m.gw.Route(id)
	return console.Route{Name: r.Name, Allow: r.Allow}, ok
}

// serveTags is the console's view of the service-tag sources.
type serveTags struct{ m *Main }

func (t serveTags) Catalog() *servicetag.Catalog  { return t.m.tags.Current() }
func (t serveTags) Previous() *servicetag.Catalog { return t.m.tagsPrev.Load() }

func (t serveTags) Status() []console.SourceStatus {
	return console.SourcesFromSet(t.m.tagAdmin().Status()) // in a fleet, with the holds other replicas store
}
