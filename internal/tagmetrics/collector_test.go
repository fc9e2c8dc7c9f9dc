package tagmetrics

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tagwall/tagwall/internal/routecompile"
	"github.com/tagwall/tagwall/internal/servicetag"
)

// TestCollector: a held source, an embedded one and the compiler's counts
// come out as documented, and a source with nothing in force exports only
// its held gauge.
func TestCollector(t *testing.T) {
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	c := &Collector{
		Now: func() time.Time { return now },
		Status: func() servicetag.SetStatus {
			return servicetag.SetStatus{ChangeNumber: 373, Tags: 3000, Pins: []servicetag.PinStatus{{Tag: "AzureCloud"}},
				Counters: servicetag.Counters{Fetches: 4, Holds: 1},
				Sources: []servicetag.SourceStatus{
					{Source: "feed", Origin: servicetag.OriginLive, ChangeNumber: 373, Since: now.Add(-time.Minute),
						Held: &servicetag.HeldStatus{ChangeNumber: 1373}},
					{Source: "page", Origin: servicetag.OriginEmbedded, ChangeNumber: 373, Since: now.Add(-time.Hour)},
					{Source: "none"},
				}}
		},
		Stats: func() routecompile.Stats { return routecompile.Stats{Lists: 3, Degraded: 1, StaleTags: 1} },
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += " " + l.GetName() + "=" + l.GetValue()
			}
			got[key] = m.GetGauge().GetValue() + m.GetCounter().GetValue()
		}
	}
	for key, v := range map[string]float64{
		"tagwall_servicetags_held source=feed":                   1,
		"tagwall_servicetags_held source=none":                   0,
		"tagwall_servicetags_held_change_number source=feed":     1373,
		"tagwall_servicetags_origin origin=embedded source=page": 1,
		"tagwall_servicetags_age_seconds source=page":            3600,
		"tagwall_servicetags_in_force_change_number":             373,
		"tagwall_servicetags_pins":                               1,
		"tagwall_servicetags_events_total event=holds":           1,
		"tagwall_compiled_lists_degraded":                        1,
	} {
		if g, ok := got[key]; !ok || g != v {
			t.Errorf("%s = %v (present %v), want %v", key, g, ok, v)
		}
	}
	if _, ok := got["tagwall_servicetags_change_number source=none"]; ok {
		t.Error("a source with nothing in force exports a changeNumber")
	}
}
