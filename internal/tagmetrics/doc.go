// Package tagmetrics exports the state of the service-tag catalog
// (servicetag.SetStatus) and of the route compiler (routecompile.Stats) as
// Prometheus metrics, the same way in `tagwall serve` and the standalone
// gateway: which document is in force per source and how old it is, held
// documents, pins, the Set's event counters, and how many compiled lists
// (clusters or routes) are degraded by vanished tags.
//
// A Collector reads its inputs at scrape time through the functions it is
// given; it holds no state of its own and is safe for concurrent use.
package tagmetrics
