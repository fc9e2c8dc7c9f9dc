package console

import "github.com/prometheus/client_golang/prometheus"

var (
	descDropped = prometheus.NewDesc("tagwall_console_decisions_dropped_total",
		"Front-door decisions the console's recorder did not keep (its route table was full or busy growing).", nil, nil)
	descRoutes = prometheus.NewDesc("tagwall_console_recorded_routes",
		"Routes the console's recorder keeps a decision history for (the refusals before routing included).", nil, nil)
)

// Describe implements prometheus.Collector.
func (r *Recorder) Describe(ch chan<- *prometheus.Desc) {
	ch <- descDropped
	ch <- descRoutes
}

// Collect implements prometheus.Collector.
func (r *Recorder) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(r.Dropped()))
	ch <- prometheus.MustNewConstMetric(descRoutes, prometheus.GaugeValue, float64(len(*r.routes.Load())))
}

var _ prometheus.Collector = (*Recorder)(nil)
