package report

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/detector"
)

// blocks are the sparkline's eight levels.
var blocks = []rune("▁▂▃▄▅▆▇█")

// Sparkline draws values as unicode blocks, one per value, on a scale from
// 0 (or the lowest value, if negative) to the highest. NaN draws a space.
func Sparkline(values []float64) string {
	lo, hi := 0.0, 0.0
	for _, v := range values {
		if !math.IsNaN(v) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	var b strings.Builder
	for _, v := range values {
		switch {
		case math.IsNaN(v):
			b.WriteByte(' ')
		case hi == lo:
			b.WriteRune(blocks[0])
		default:
			i := int(math.Round((v - lo) / (hi - lo) * float64(len(blocks)-1)))
			b.WriteRune(blocks[min(max(i, 0), len(blocks)-1)])
		}
	}
	return b.String()
}

// Defaults of [Sparks].
const (
	// DefaultLead is how much of a rule's history before a firing its
	// sparkline shows.
	DefaultLead = 5 * time.Minute
	// DefaultSparkWidth is the number of cells of a sparkline.
	DefaultSparkWidth = 60
)

// Sparks keeps, per rule, what a terminal sparkline around each alert
// needs: the evaluations of the last [DefaultLead] before a firing (a
// ring), then the firing episode, downsampled to at most
// [DefaultSparkWidth] cells of their highest value, however long it
// lasts. Hook [Sparks.Observe] to [detector.Options.Trace] and call
// [Sparks.Line] on each resolved alert, after the engine emits it. It is
// not safe for concurrent use.
type Sparks struct {
	rules byRule[*spark]
}

type spark struct {
	first   time.Time // the rule's first evaluation: no lead-up before it
	recent  []sample  // the lead-up, oldest first, from recent[head]
	head    int       // recent[:head] are older than DefaultLead
	episode *Recorder
}

// sample is one evaluation of the lead-up: its time in Unix nanoseconds
// (in the evaluation's location, see Observe) and its value.
type sample struct {
	ns int64
	v  float64
}

// Observe takes one evaluation. It is a [detector.Options.Trace] function.
func (s *Sparks) Observe(ev detector.Evaluation) {
	sp := s.spark(ev)
	if sp.episode != nil {
		sp.episode.Observe(ev)
		return
	}
	if ev.State == "firing" { // this evaluation fired: the episode starts
		sp.episode = &Recorder{Columns: DefaultSparkWidth}
		// Start the timeline at the lead-up's start, not at its first
		// sample (the engine skips idle boundaries), but not before the log.
		from := ev.Time.Add(-DefaultLead)
		if from.Before(sp.first) {
			from = sp.first
		}
		sp.episode.Observe(detector.Evaluation{Rule: ev.Rule, Unit: ev.Unit, Time: from, Threshold: math.Inf(1)})
		for _, r := range sp.recent[sp.head:] {
			if t := time.Unix(0, r.ns).In(ev.Time.Location()); !t.Before(from) {
				sp.episode.Observe(detector.Evaluation{Rule: ev.Rule, Unit: ev.Unit, Time: t, Value: r.v, Threshold: math.Inf(1)})
			}
		}
		sp.episode.Observe(ev)
		sp.recent, sp.head = sp.recent[:0], 0
		return
	}
	ns := ev.Time.UnixNano()
	sp.recent = append(sp.recent, sample{ns, ev.Value})
	// Drop what is older than the lead-up, moving the rest down only once
	// half the slice is dropped: amortised O(1) per evaluation.
	cut := ns - int64(DefaultLead)
	for sp.head < len(sp.recent) && sp.recent[sp.head].ns < cut {
		sp.head++
	}
	if sp.head > len(sp.recent)/2 {
		sp.recent = sp.recent[:copy(sp.recent, sp.recent[sp.head:])]
		sp.head = 0
	}
}

// spark returns the rule's spark, made at its first evaluation.
func (s *Sparks) spark(ev detector.Evaluation) *spark {
	sp, ok := s.rules.get(ev.Rule)
	if !ok {
		sp = &spark{first: ev.Time}
		s.rules.add(ev.Rule, sp)
	}
	return sp
}

// Line returns the sparkline of the episode a resolved alert ends, from
// [DefaultLead] before it fired (or the rule's first evaluation) to its
// end, as one indented line, and forgets the episode; "" when a has none.
func (s *Sparks) Line(a alert.Alert) string {
	sp, _ := s.rules.get(a.Rule)
	if sp == nil || sp.episode == nil {
		return ""
	}
	rec := sp.episode
	sp.episode = nil
	return sparkLine(rec, a.Unit)
}

// Open returns the sparklines of the episodes still open (rules firing at
// the end of the replay), by rule.
func (s *Sparks) Open() map[string]string {
	out := map[string]string{}
	for i, sp := range s.rules.all() {
		if name := s.rules.names[i]; sp.episode != nil {
			_, _, series := sp.episode.Series()
			var unit alert.Unit
			if len(series) > 0 {
				unit = series[0].Unit
			}
			out[name] = sparkLine(sp.episode, unit)
		}
	}
	return out
}

func sparkLine(rec *Recorder, unit alert.Unit) string {
	start, width, series := rec.Series()
	if len(series) == 0 {
		return ""
	}
	pts := series[0].Filled(start, width)
	vals := make([]float64, len(pts))
	var peak float64
	for i, p := range pts {
		vals[i] = p.Max
		peak = max(peak, p.Max)
	}
	end := start.Add(time.Duration(len(pts)) * width)
	return fmt.Sprintf("    %s–%s %s  max %s, %s a cell", start.UTC().Format("15:04:05"), end.UTC().Format("15:04:05"),
		Sparkline(vals), alert.FormatValue(peak, unit), alert.FormatDuration(width))
}
