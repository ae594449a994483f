package server

import (
	"runtime"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// SkipReason says why a read line was not turned into an event: the
// reason label of sentinel_lines_skipped_total.
type SkipReason string

// Skip reasons.
const (
	// SkipMalformed is a line its source's format could not parse.
	SkipMalformed SkipReason = "malformed"
	// SkipTooLong is a line longer than the tailer's limit, cut or dropped.
	SkipTooLong SkipReason = "too_long"
	// SkipIgnored is a line the source is told to ignore (blank lines,
	// comments, lines of another format in a shared file).
	SkipIgnored SkipReason = "ignored"
)

// RotationKind is how a tailed file was rotated: the kind label of
// sentinel_rotations_total.
type RotationKind string

// Rotation kinds.
const (
	// RotationRename is a file moved away and replaced by a new one at its path.
	RotationRename RotationKind = "rename"
	// RotationTruncate is a file cut to a size smaller than the read
	// offset, or rewritten in place (logrotate's copytruncate).
	RotationTruncate RotationKind = "truncate"
	// RotationRecreate is a file removed (and usually created again) at
	// its path.
	RotationRecreate RotationKind = "recreate"
)

// Metrics are the daemon's Prometheus metrics, on their own registry
// (never the global one, so tests and several daemons in one process
// don't collide). Every method is safe for concurrent use. Label values
// a caller passes (source paths, rule, notifier and action names) come
// from the config, never from log lines, so their number stays bounded.
//
// Each method looks its series up by label; a hot path (one call per
// line) should count in batches and pass n.
type Metrics struct {
	reg *prometheus.Registry

	linesRead    *prometheus.CounterVec
	linesParsed  *prometheus.CounterVec
	linesSkipped *prometheus.CounterVec
	rotations    *prometheus.CounterVec
	lagSeconds   *prometheus.GaugeVec
	lagBytes     *prometheus.GaugeVec
	eventsLate   prometheus.Counter
	eventsFuture prometheus.Counter
	alerts       *prometheus.CounterVec
	ruleFiring   *prometheus.GaugeVec
	ruleValue    *prometheus.GaugeVec
	ruleThresh   *prometheus.GaugeVec
	notifs       *prometheus.CounterVec
	actions      *prometheus.CounterVec
	links        *prometheus.CounterVec
	reloads      *prometheus.CounterVec
	reloadOK     prometheus.Gauge
	reloadTime   prometheus.Gauge
	buildInfo    *prometheus.GaugeVec
	latency      *prometheus.HistogramVec
	recent       map[LatencyStage]*recent // fixed at NewMetrics: read without a lock
}

// latencyHelp is sentinel_latency_seconds' help text.
const latencyHelp = "How long the stages from a log line to what it sets off take, by stage: read_to_transition (a line read from its file to the alert transition it sets off), transition_to_action_request (a firing to its action's request being made), action_request_to_response (the request to its response), transition_to_notification (a transition to the notification telling it delivered, its group wait included)."

// NewMetrics returns the daemon's metrics on a new registry, which also
// holds the Go runtime and process collectors (go_*, process_*).
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		linesRead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sentinel_lines_read_total",
			Help: "Lines read from a source.",
		}, []string{"source"}),
		linesParsed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sentinel_lines_parsed_total",
			Help: "Lines of a source parsed into events.",
		}, []string{"source"}),
		linesSkipped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sentinel_lines_skipped_total",
			Help: "Lines of a source not turned into events, by reason (malformed, too_long, ignored).",
		}, []string{"source", "reason"}),
		rotations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sentinel_rotations_total",
			Help: "Rotations of a tailed file, by kind (rename, truncate, recreate).",
		}, []string{"source", "kind"}),
		lagSeconds: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sentinel_lag_seconds",
			Help: "How far reading a source is behind: 0 when every byte written is read, else the age of the oldest unread line (at most the time since the newest line read was written), in seconds.",
		}, []string{"source"}),
		lagBytes: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sentinel_lag_bytes",
			Help: "Bytes of a source's file not read yet.",
		}, []string{"source"}),
		eventsLate: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sentinel_events_late_total",
			Help: "Events older than the newest event time minus the allowed skew, not counted by any rule.",
		}),
		eventsFuture: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sentinel_events_future_total",
			Help: "Events dated far ahead of this machine's clock (counted at the time they were read) or of the lines around them (not counted): they must not move the event clock.",
		}),
		alerts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sentinel_alerts_total",
			Help: "Alert transitions of a rule, by state (firing, resolved).",
		}, []string{"rule", "state"}),
		ruleFiring: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sentinel_rule_firing",
			Help: "1 while a rule fires, else 0.",
		}, []string{"rule"}),
		ruleValue: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sentinel_rule_value",
			Help: "A rule's value over its window, in its unit (events per second, distinct values, a share from 0 to 1, seconds silent).",
		}, []string{"rule"}),
		ruleThresh: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sentinel_rule_threshold",
			Help: "The level a rule's value fires at, in its unit: fixed, or learned from the normal (+Inf while a baseline rule has learned nothing).",
		}, []string{"rule"}),
		notifs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sentinel_notifications_total",
			Help: "Alert notifications, by notifier and outcome (ok, retrying, failed, dropped, capped, silenced).",
		}, []string{"notifier", "outcome"}),
		actions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sentinel_actions_total",
			Help: "Remediation action attempts, by action and outcome (ok, retrying, failed, skipped by a guardrail, dry_run, stopped).",
		}, []string{"action", "outcome"}),
		links: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sentinel_link_requests_total",
			Help: "Requests to the signed links of the public listener, by verb (silence, run, revert, stop_reminders; unknown when the link could not be read) and outcome (shown, preview, ok, failed, refused, invalid, expired, used, csrf, rate_limited).",
		}, []string{"verb", "outcome"}),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sentinel_config_reloads_total",
			Help: "Config reloads, by outcome (ok, rejected).",
		}, []string{"outcome"}),
		reloadOK: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sentinel_config_last_reload_successful",
			Help: "1 when the last config load (at start, SIGHUP or POST /reload) succeeded, 0 when it was rejected and the previous config runs.",
		}),
		reloadTime: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "sentinel_config_last_reload_success_timestamp_seconds",
			Help: "When the config last loaded successfully, in Unix seconds.",
		}),
		buildInfo: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "sentinel_build_info",
			Help: "Always 1, labelled with sentinel's version and the Go version that built it.",
		}, []string{"version", "goversion"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sentinel_latency_seconds",
			Help:    latencyHelp,
			Buckets: LatencyBuckets,
		}, []string{"stage"}),
		recent: map[LatencyStage]*recent{},
	}
	for _, s := range LatencyStages {
		m.latency.WithLabelValues(string(s)) // every stage shows from the start, at 0
		m.recent[s] = &recent{}
	}
	m.reg.MustRegister(
		m.linesRead, m.linesParsed, m.linesSkipped, m.rotations,
		m.lagSeconds, m.lagBytes, m.eventsLate, m.eventsFuture, m.alerts, m.ruleFiring, m.ruleValue, m.ruleThresh,
		m.notifs, m.actions, m.links, m.reloads, m.reloadOK, m.reloadTime, m.buildInfo, m.latency,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	// Both outcomes exist from the start, so a rate() over them works
	// before the first reload.
	m.reloads.WithLabelValues("ok")
	m.reloads.WithLabelValues("rejected")
	return m
}

// Registry returns the registry the metrics are on, for promhttp and tests.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// LinesRead adds n to sentinel_lines_read_total{source}: lines read from
// the source, whatever became of them.
func (m *Metrics) LinesRead(source string, n int) {
	m.linesRead.WithLabelValues(source).Add(float64(n))
}

// LinesParsed adds n to sentinel_lines_parsed_total{source}: lines of the
// source parsed into events.
func (m *Metrics) LinesParsed(source string, n int) {
	m.linesParsed.WithLabelValues(source).Add(float64(n))
}

// LinesSkipped adds n to sentinel_lines_skipped_total{source,reason}:
// lines of the source that became no event, and why.
func (m *Metrics) LinesSkipped(source string, reason SkipReason, n int) {
	m.linesSkipped.WithLabelValues(source, string(reason)).Add(float64(n))
}

// Rotations adds n rotations of the source's file to
// sentinel_rotations_total{source,kind}; n may be 0, which makes the
// series exist (so a source that never rotated shows 0).
func (m *Metrics) Rotations(source string, kind RotationKind, n int) {
	m.rotations.WithLabelValues(source, string(kind)).Add(float64(n))
}

// SetLag sets sentinel_lag_seconds{source}: wall time minus the newest
// event time read from the source. It is negative when the log's clock
// runs ahead of ours.
func (m *Metrics) SetLag(source string, lag time.Duration) {
	m.lagSeconds.WithLabelValues(source).Set(lag.Seconds())
}

// SetLagBytes sets sentinel_lag_bytes{source}: the bytes of the source's
// file past the read offset.
func (m *Metrics) SetLagBytes(source string, n int64) {
	m.lagBytes.WithLabelValues(source).Set(float64(n))
}

// AddSource makes the source's counters and lag gauges exist at 0 before
// its first line, so that a rate() over them works from the start. Call
// it for each file known at start (a glob's later files appear with their
// first line).
func (m *Metrics) AddSource(source string) {
	m.linesRead.WithLabelValues(source)
	m.linesParsed.WithLabelValues(source)
	for _, r := range []SkipReason{SkipMalformed, SkipTooLong, SkipIgnored} {
		m.linesSkipped.WithLabelValues(source, string(r))
	}
	for _, k := range []RotationKind{RotationRename, RotationTruncate, RotationRecreate} {
		m.rotations.WithLabelValues(source, string(k))
	}
	m.lagSeconds.WithLabelValues(source)
	m.lagBytes.WithLabelValues(source)
}

// ForgetSource removes every series of the source (after a reload drops
// it), so a scrape no longer shows its last values.
func (m *Metrics) ForgetSource(source string) {
	l := prometheus.Labels{"source": source}
	m.linesRead.DeletePartialMatch(l)
	m.linesParsed.DeletePartialMatch(l)
	m.linesSkipped.DeletePartialMatch(l)
	m.rotations.DeletePartialMatch(l)
	m.lagSeconds.DeletePartialMatch(l)
	m.lagBytes.DeletePartialMatch(l)
}

// EventsLate adds n to sentinel_events_late_total: events too old to
// count (the Late of the engine's detector.Stats).
func (m *Metrics) EventsLate(n int) {
	m.eventsLate.Add(float64(n))
}

// EventsFuture adds n to sentinel_events_future_total: events dated far
// ahead of the wall clock or of the lines around them.
func (m *Metrics) EventsFuture(n int) {
	m.eventsFuture.Add(float64(n))
}

// Alert records one transition of a rule: it counts it in
// sentinel_alerts_total{rule,state} and sets sentinel_rule_firing{rule}
// to 1 when firing, 0 when resolved.
func (m *Metrics) Alert(rule string, state alert.State) {
	m.alerts.WithLabelValues(rule, string(state)).Inc()
	v := 0.0
	if state == alert.Firing {
		v = 1
	}
	m.ruleFiring.WithLabelValues(rule).Set(v)
}

// AddRule makes the rule's series exist from the start, at 0:
// sentinel_rule_firing{rule}, sentinel_alerts_total{rule,state} of both
// states, and its value and threshold, so that a rule that never fired
// still shows and a rate() over it works. Call it for each rule loaded.
func (m *Metrics) AddRule(rule string) {
	m.ruleFiring.WithLabelValues(rule)
	m.ruleValue.WithLabelValues(rule)
	m.ruleThresh.WithLabelValues(rule)
	m.alerts.WithLabelValues(rule, string(alert.Firing))
	m.alerts.WithLabelValues(rule, string(alert.Resolved))
}

// SetRule sets sentinel_rule_value{rule} and
// sentinel_rule_threshold{rule}: the rule's value now and the level it
// fires at, in its unit (+Inf while a baseline rule learns).
func (m *Metrics) SetRule(rule string, value, threshold float64) {
	m.ruleValue.WithLabelValues(rule).Set(value)
	m.ruleThresh.WithLabelValues(rule).Set(threshold)
}

// ForgetRule removes the rule's series (after a reload drops it).
func (m *Metrics) ForgetRule(rule string) {
	l := prometheus.Labels{"rule": rule}
	m.alerts.DeletePartialMatch(l)
	m.ruleFiring.DeletePartialMatch(l)
	m.ruleValue.DeletePartialMatch(l)
	m.ruleThresh.DeletePartialMatch(l)
}

// AddNotifier makes the notifier's sentinel_notifications_total series
// exist at 0, one per outcome a notification can have.
func (m *Metrics) AddNotifier(notifier string) {
	for _, o := range delivery.NotificationOutcomes {
		m.notifs.WithLabelValues(notifier, string(o))
	}
}

// AddAction makes the action's sentinel_actions_total series exist at 0,
// one per outcome an attempt can have in the daemon.
func (m *Metrics) AddAction(action string) {
	for _, o := range delivery.ActionOutcomes {
		m.actions.WithLabelValues(action, string(o))
	}
}

// Notification counts one alert notification in
// sentinel_notifications_total{notifier,outcome}: an attempt's end, or a
// transition not attempted (dropped, capped, silenced). Its signature is
// alerts.DispatcherOptions.Outcome's.
func (m *Metrics) Notification(notifier string, outcome delivery.Outcome) {
	m.notifs.WithLabelValues(notifier, string(outcome)).Inc()
}

// Action counts one remediation action's attempt, or an application a
// guardrail held back, in sentinel_actions_total{action,outcome}. Its
// signature is actions.Options.Outcome's.
func (m *Metrics) Action(action string, outcome delivery.Outcome) {
	m.actions.WithLabelValues(action, string(outcome)).Inc()
}

// AddLinks makes the sentinel_link_requests_total series of every verb
// and outcome exist at 0: call it when the public listener is on.
func (m *Metrics) AddLinks(verbs, outcomes []string) {
	for _, v := range verbs {
		for _, o := range outcomes {
			m.links.WithLabelValues(v, o)
		}
	}
}

// Link counts one request to a signed link in
// sentinel_link_requests_total{verb,outcome}. Its signature is
// links.Options.Outcome's.
func (m *Metrics) Link(verb, outcome string) {
	m.links.WithLabelValues(verb, outcome).Inc()
}

// ConfigLoaded records the config loaded at start, at the wall time at:
// sentinel_config_last_reload_successful is 1 and its timestamp at.
func (m *Metrics) ConfigLoaded(at time.Time) {
	m.reloadOK.Set(1)
	m.reloadTime.Set(float64(at.UnixNano()) / 1e9)
}

// ConfigReload counts one config reload at the wall time at in
// sentinel_config_reloads_total{outcome}: "ok" when err is nil, else
// "rejected" (the old config keeps running); it sets
// sentinel_config_last_reload_successful to 1 or 0, and the success
// timestamp.
func (m *Metrics) ConfigReload(err error, at time.Time) {
	outcome := "ok"
	if err != nil {
		outcome = "rejected"
		m.reloadOK.Set(0)
	} else {
		m.ConfigLoaded(at)
	}
	m.reloads.WithLabelValues(outcome).Inc()
}

// SetBuildInfo sets sentinel_build_info{version,goversion} to 1 for
// sentinel's version and the running Go version, replacing any earlier one.
func (m *Metrics) SetBuildInfo(version string) {
	m.buildInfo.Reset()
	m.buildInfo.WithLabelValues(version, runtime.Version()).Set(1)
}

// ObserveLatency records one duration of a stage: in
// sentinel_latency_seconds{stage}, and among the stage's latest samples
// that [Metrics.Latencies] takes its quantiles from. A stage not in
// [LatencyStages] is ignored.
func (m *Metrics) ObserveLatency(stage LatencyStage, d time.Duration) {
	r := m.recent[stage]
	if r == nil {
		return
	}
	m.latency.WithLabelValues(string(stage)).Observe(d.Seconds())
	r.add(d)
}

// Latencies returns, for every stage in [LatencyStages] order, the median
// and 99th percentile of its latest samples (at most 256): what the last
// minutes looked like, not the histogram's whole history.
func (m *Metrics) Latencies() []LatencyStatus {
	out := make([]LatencyStatus, 0, len(LatencyStages))
	for _, s := range LatencyStages {
		p50, p99, n := m.recent[s].quantiles()
		out = append(out, LatencyStatus{Stage: s, Samples: n, P50: p50.Seconds(), P99: p99.Seconds()})
	}
	return out
}
