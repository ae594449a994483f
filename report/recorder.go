package report

import (
	"math"
	"slices"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/detector"
)

// Defaults of a [Recorder].
const (
	// DefaultColumns is how many time buckets a rule's series keeps: about
	// one per pixel column of a chart.
	DefaultColumns = 720
	// DefaultMaxAlerts is how many alert transitions a report lists.
	DefaultMaxAlerts = 1000
)

// Point is one time bucket of a rule's series: what its evaluations in
// the bucket measured. A bucket with N == 0 had no evaluation: the engine
// skips boundaries while every rule is idle (empty windows), so its value
// was 0.
type Point struct {
	Min, Max, Last float64
	// Threshold is the last finite threshold in the bucket, NaN if none
	// (a baseline still learning).
	Threshold float64
	// Baseline and Spread are the last learned mean and standard deviation
	// of a baseline rule.
	Baseline, Spread float64
	// N counts the evaluations folded into the bucket.
	N int
	// Firing says whether the rule was firing at any evaluation in it;
	// LastFiring whether it was at the last one.
	Firing, LastFiring bool
}

// merge folds b, the later bucket, into p.
func (p *Point) merge(b Point) {
	if b.N == 0 {
		return
	}
	if p.N == 0 {
		*p = b
		return
	}
	p.Min, p.Max, p.Last = min(p.Min, b.Min), max(p.Max, b.Max), b.Last
	if !math.IsNaN(b.Threshold) {
		p.Threshold = b.Threshold
	}
	p.Baseline, p.Spread = b.Baseline, b.Spread
	p.N += b.N
	p.Firing = p.Firing || b.Firing
	p.LastFiring = b.LastFiring
}

// Series is one rule's values over the replay, in buckets of Width from
// Start: Points[i] covers [Start+i·Width, Start+(i+1)·Width).
type Series struct {
	Rule   string
	Unit   alert.Unit
	Down   bool
	Points []Point
	// Evaluations counts every evaluation, skipped idle ones not included.
	Evaluations int
	// Step is the shortest time seen between two evaluations: a rule with
	// a long window is evaluated every few seconds, not every second.
	Step time.Duration

	prev int64 // the last evaluation's time, in Unix nanoseconds, once seen
	seen bool
}

// Filled returns the points with the buckets that had no evaluation
// filled in. The engine evaluates nothing new in them, so their state is
// the previous bucket's: the same firing, threshold and baseline. Their
// value is the previous one within the rule's Step (a rule evaluated
// every 3 s in 1 s buckets), the silence so far for an absence rule,
// and otherwise 0 (the engine skipped boundaries whose windows were
// empty).
func (s *Series) Filled(start time.Time, width time.Duration) []Point {
	out := make([]Point, len(s.Points))
	last, lastAt := Point{Threshold: math.NaN()}, -1
	for i, p := range s.Points {
		if p.N > 0 {
			out[i], last, lastAt = p, p, i
			continue
		}
		// The state at the bucket's last evaluation goes on, not whether it
		// fired at any point of it (a merged bucket may hold the resolve).
		f := Point{Threshold: last.Threshold, Baseline: last.Baseline, Spread: last.Spread, Firing: last.LastFiring, LastFiring: last.LastFiring}
		gap := time.Duration(i-lastAt) * width
		switch {
		case lastAt < 0:
			f.Firing = false
		case s.Unit == alert.Silent && last.Last > 0:
			v := last.Last + gap.Seconds()
			f.Min, f.Max, f.Last = v, v, v
		case gap <= s.Step:
			f.Min, f.Max, f.Last = last.Last, last.Last, last.Last
		}
		out[i] = f
	}
	return out
}

// Recorder gathers what a report shows from a replay, in bounded memory:
// hook [Recorder.Observe] to [detector.Options.Trace] and
// [Recorder.Alert] to [detector.Options.Emit]. Every rule's series shares
// one timeline, so charts line up. A Recorder is not safe for concurrent
// use; the engine's goroutine feeds it.
type Recorder struct {
	// Columns bounds the buckets per series (default [DefaultColumns]).
	Columns int
	// MaxAlerts bounds the alerts kept (default [DefaultMaxAlerts]); the
	// rest are counted.
	MaxAlerts int

	start   time.Time
	width   time.Duration
	series  byRule[*Series]
	alerts  []alert.Alert
	dropped int
	last    time.Time
	// startNs and lastNs are start and last in Unix nanoseconds: times are
	// compared at every evaluation.
	startNs, lastNs int64
}

// Observe takes one evaluation. It is a [detector.Options.Trace] function.
func (r *Recorder) Observe(ev detector.Evaluation) {
	s, ok := r.series.get(ev.Rule)
	if !ok {
		if len(r.series.all()) == 0 {
			r.start, r.startNs, r.width = ev.Time, ev.Time.UnixNano(), time.Second
		}
		s = &Series{Rule: ev.Rule, Unit: ev.Unit, Down: ev.Down}
		r.series.add(ev.Rule, s)
	}
	s.Evaluations++
	ns := ev.Time.UnixNano()
	if d := sub(ns, s.prev); s.seen && d > 0 && (s.Step == 0 || d < s.Step) {
		s.Step = d
	}
	s.prev, s.seen = ns, true
	if ns > r.lastNs || r.last.IsZero() {
		r.last, r.lastNs = ev.Time, ns
	}
	i := r.index(ns)
	for i >= r.columns() {
		r.coarsen()
		i = r.index(ns)
	}
	for len(s.Points) <= i {
		s.Points = append(s.Points, Point{Threshold: math.NaN()})
	}
	th := ev.Threshold
	if math.IsInf(th, 0) {
		th = math.NaN()
	}
	s.Points[i].merge(Point{
		Min: ev.Value, Max: ev.Value, Last: ev.Value, Threshold: th,
		Baseline: ev.Baseline, Spread: ev.Spread, N: 1, Firing: ev.State == "firing", LastFiring: ev.State == "firing",
	})
}

// Alert takes one alert transition. It is a [detector.Options.Emit]
// function.
func (r *Recorder) Alert(a alert.Alert) {
	if len(r.alerts) >= r.maxAlerts() {
		r.dropped++
		return
	}
	r.alerts = append(r.alerts, a)
}

// Series returns the rules' series in the order they were first
// evaluated, with the timeline's start and bucket width.
func (r *Recorder) Series() (start time.Time, width time.Duration, series []*Series) {
	return r.start, r.width, slices.Clone(r.series.all())
}

// Alerts returns the alerts kept, in order, and how many more there were.
func (r *Recorder) Alerts() (kept []alert.Alert, dropped int) { return r.alerts, r.dropped }

// End returns the time of the last evaluation.
func (r *Recorder) End() time.Time { return r.last }

func (r *Recorder) columns() int {
	if r.Columns <= 1 {
		return DefaultColumns
	}
	return r.Columns
}

func (r *Recorder) maxAlerts() int {
	if r.MaxAlerts <= 0 {
		return DefaultMaxAlerts
	}
	return r.MaxAlerts
}

// index returns the bucket of t; times before the start (a rule with wide
// buckets evaluated late at a flush) land in the first.
func (r *Recorder) index(ns int64) int {
	d := sub(ns, r.startNs)
	if d < 0 {
		return 0
	}
	return int(d / r.width)
}

// sub is a-b in nanoseconds as time.Time.Sub gives it: past the range of
// a Duration, the largest or the least.
func sub(a, b int64) time.Duration {
	d := a - b
	switch {
	case a >= b && d < 0:
		return math.MaxInt64
	case a < b && d >= 0:
		return math.MinInt64
	}
	return time.Duration(d)
}

// coarsen doubles the bucket width, merging each pair of buckets: the
// cost of a long replay is coarser charts, never more memory.
func (r *Recorder) coarsen() {
	r.width *= 2
	for _, s := range r.series.all() {
		n := (len(s.Points) + 1) / 2
		for j := range n {
			p := s.Points[2*j]
			if 2*j+1 < len(s.Points) {
				p.merge(s.Points[2*j+1])
			}
			s.Points[j] = p
		}
		s.Points = s.Points[:n]
	}
}
