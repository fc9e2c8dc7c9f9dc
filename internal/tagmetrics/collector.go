package tagmetrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tagwall/tagwall/internal/routecompile"
	"github.com/tagwall/tagwall/internal/servicetag"
)

var (
	descChange = prometheus.NewDesc("tagwall_servicetags_change_number",
		"changeNumber of the service-tag document in force, per source.", []string{"source"}, nil)
	descAge = prometheus.NewDesc("tagwall_servicetags_age_seconds",
		"Age of the service-tag document in force (since it was fetched, cached, received or published), per source.", []string{"source"}, nil)
	descOrigin = prometheus.NewDesc("tagwall_servicetags_origin",
		"1 for where the document in force for a source came from (live, cache, embedded, replica, accepted).", []string{"source", "origin"}, nil)
	descHeld = prometheus.NewDesc("tagwall_servicetags_held",
		"1 when a source holds a document that failed the update checks (see `tagwall servicetags status`).", []string{"source"}, nil)
	descHeldChange = prometheus.NewDesc("tagwall_servicetags_held_change_number",
		"changeNumber of the held document, per source holding one.", []string{"source"}, nil)
	descInForce = prometheus.NewDesc("tagwall_servicetags_in_force_change_number",
		"changeNumber of the merged catalog in force (the sum over sources when there are several).", nil, nil)
	descTags = prometheus.NewDesc("tagwall_servicetags_tags",
		"Tags in the merged catalog in force.", nil, nil)
	descPins = prometheus.NewDesc("tagwall_servicetags_pins",
		"Tags pinned at a version.", nil, nil)
	descEvents = prometheus.NewDesc("tagwall_servicetags_events_total",
		"Service-tag catalog events since start: fetches, fetch_errors, rejected, installs, holds, auto_accepts, accepts.", []string{"event"}, nil)
	descLists = prometheus.NewDesc("tagwall_compiled_lists",
		"Authorized-ranges lists compiled (clusters or routes).", nil, nil)
	descDegraded = prometheus.NewDesc("tagwall_compiled_lists_degraded",
		"Compiled lists serving a vanished tag's last good prefixes, or nothing for an unknown tag.", nil, nil)
	descStale = prometheus.NewDesc("tagwall_compiled_stale_tags",
		"Distinct tags served from their last good prefixes because the data in force no longer defines them.", nil, nil)
)

// Collector exports a servicetag.Set's status and a route compiler's
// counts. Either function may be nil.
type Collector struct {
	Status func() servicetag.SetStatus
	Stats  func() routecompile.Stats
	Now    func() time.Time // default time.Now
}

// Describe sends every descriptor.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descChange, descAge, descOrigin, descHeld, descHeldChange,
		descInForce, descTags, descPins, descEvents, descLists, descDegraded, descStale} {
		ch <- d
	}
}

// Collect reads the status and the counts.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	if c.Status != nil {
		c.collectStatus(ch, c.Status())
	}
	if c.Stats != nil {
		st := c.Stats()
		ch <- prometheus.MustNewConstMetric(descLists, prometheus.GaugeValue, float64(st.Lists))
		ch <- prometheus.MustNewConstMetric(descDegraded, prometheus.GaugeValue, float64(st.Degraded))
		ch <- prometheus.MustNewConstMetric(descStale, prometheus.GaugeValue, float64(st.StaleTags))
	}
}

func (c *Collector) collectStatus(ch chan<- prometheus.Metric, st servicetag.SetStatus) {
	now := time.Now
	if c.Now != nil {
		now = c.Now
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	gauge(descInForce, float64(st.ChangeNumber))
	gauge(descTags, float64(st.Tags))
	gauge(descPins, float64(len(st.Pins)))
	for _, s := range st.Sources {
		held := 0.0
		if s.Held != nil {
			held = 1
			gauge(descHeldChange, float64(s.Held.ChangeNumber), s.Source)
		}
		gauge(descHeld, held, s.Source)
		if s.Origin == servicetag.OriginNone {
			continue
		}
		gauge(descChange, float64(s.ChangeNumber), s.Source)
		gauge(descOrigin, 1, s.Source, string(s.Origin))
		if !s.Since.IsZero() {
			gauge(descAge, now().Sub(s.Since).Seconds(), s.Source)
		}
	}
	n := st.Counters
	for _, e := range []struct {
		name string
		v    uint64
	}{{"fetches", n.Fetches}, {"fetch_errors", n.FetchErrors}, {"rejected", n.Rejected}, {"installs", n.Installs},
		{"holds", n.Holds}, {"auto_accepts", n.AutoAccepts}, {"accepts", n.Accepts}} {
		ch <- prometheus.MustNewConstMetric(descEvents, prometheus.CounterValue, float64(e.v), e.name)
	}
}

// Compile-time interface guard.
var _ prometheus.Collector = (*Collector)(nil)
