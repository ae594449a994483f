package fleet

import "github.com/prometheus/client_golang/prometheus"

// Outcomes of a delta: the outcome label of sentinel_fleet_deltas_total.
const (
	// DeltaPublished is a delta added to the fleet's counts.
	DeltaPublished = "published"
	// DeltaLate is a delta for a step the fleet had already evaluated
	// (this node's log or clock lags by more than the skew): dropped.
	DeltaLate = "late"
	// DeltaDropped is a delta dropped from a full backlog while Redis was
	// out of reach.
	DeltaDropped = "dropped"
	// DeltaUnconfirmed is a delta sent in a round trip that failed after
	// it was sent: Redis may or may not have counted it, and it is not
	// sent again (counting it twice would be worse than once too few).
	DeltaUnconfirmed = "unconfirmed"
)

// metrics are a node's fleet series on /metrics. Every method of the
// prometheus types is safe for concurrent use.
type metrics struct {
	mode        prometheus.Gauge
	evaluator   prometheus.Gauge
	fallbacks   prometheus.Counter
	roundTrips  *prometheus.CounterVec
	rtt         prometheus.Histogram
	deltas      *prometheus.CounterVec
	hashDrops   prometheus.Counter
	backlog     prometheus.GaugeFunc
	nodes       prometheus.Gauge
	lagging     prometheus.Gauge
	evaluations prometheus.Counter
	forced      prometheus.Counter
	leases      prometheus.Counter
	suppressed  prometheus.Counter
}

// newMetrics returns a node's series; backlog returns the deltas waiting,
// read when the series are collected.
func newMetrics(backlog func() float64) *metrics {
	m := &metrics{
		mode: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sentinel_fleet_mode",
			Help: "1 while this node is in fleet mode (its fleet rules evaluated over the whole fleet, through Redis), 0 while it falls back to its local rules.",
		}),
		evaluator: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sentinel_fleet_evaluator",
			Help: "1 while this node holds the lease and evaluates the fleet rules, notifies and acts for the fleet.",
		}),
		fallbacks: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sentinel_fleet_fallbacks_total",
			Help: "Times this node fell back from fleet mode to its local rules (Redis down or slow, the fleet's evaluation stalled, this node's log lagging).",
		}),
		roundTrips: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sentinel_fleet_round_trips_total",
			Help: "Round trips to Redis, by what for (publish: a step's deltas and the heartbeat; evaluate: the evaluator's) and outcome (ok, error).",
		}, []string{"kind", "outcome"}),
		rtt: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "sentinel_fleet_round_trip_seconds",
			Help:    "Time of this node's successful publishing round trips to Redis.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5},
		}),
		deltas: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sentinel_fleet_deltas_total",
			Help: "Per-bucket deltas of fleet rules, by outcome (published; late: for a step already evaluated; dropped: backlog full; unconfirmed: in a round trip that failed after sending).",
		}, []string{"outcome"}),
		hashDrops: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sentinel_fleet_distinct_values_dropped_total",
			Help: "Distinct values a bucket had past the 16,384 a delta carries, left out of the fleet's distinct counts.",
		}),
		backlog: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "sentinel_fleet_backlog_deltas",
			Help: "Deltas waiting to be published (bounded; the oldest are dropped past the bound).",
		}, backlog),
		nodes: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sentinel_fleet_nodes",
			Help: "Nodes of the site Redis heard from in the last minute.",
		}),
		lagging: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sentinel_fleet_nodes_lagging",
			Help: "On the evaluator: live nodes whose clock was behind the boundary last evaluated (evaluated without them once the skew passed).",
		}),
		evaluations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sentinel_fleet_boundaries_evaluated_total",
			Help: "On the evaluator: bucket boundaries at which the fleet rules were evaluated.",
		}),
		forced: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sentinel_fleet_boundaries_forced_total",
			Help: "On the evaluator: boundaries evaluated once the skew had passed, before every live node had reached them.",
		}),
		leases: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sentinel_fleet_leases_total",
			Help: "Times this node took the evaluator's lease.",
		}),
		suppressed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sentinel_fleet_local_transitions_held_total",
			Help: "Transitions of fleet rules this node's local engine made while in fleet mode, held back (the fleet's evaluator speaks for them).",
		}),
	}
	for _, o := range []string{DeltaPublished, DeltaLate, DeltaDropped, DeltaUnconfirmed} {
		m.deltas.WithLabelValues(o)
	}
	for _, k := range []string{"publish", "evaluate"} {
		m.roundTrips.WithLabelValues(k, "ok")
		m.roundTrips.WithLabelValues(k, "error")
	}
	return m
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.mode, m.evaluator, m.fallbacks, m.roundTrips, m.rtt, m.deltas, m.hashDrops,
		m.backlog, m.nodes, m.lagging, m.evaluations, m.forced, m.leases, m.suppressed}
}
