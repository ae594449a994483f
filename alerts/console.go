package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// Output is how [Console] writes alerts.
type Output string

// Console outputs.
const (
	// Text is a timeline for people.
	Text Output = "text"
	// JSON is one object per transition and line: DESIGN.md contract 2.
	JSON Output = "json"
)

// Console writes alert transitions to a terminal or a pipe. It is safe
// for concurrent use.
type Console struct {
	mu  sync.Mutex // guards w
	w   io.Writer
	out Output
}

// NewConsole returns a Console writing to w in the given output.
func NewConsole(w io.Writer, out Output) *Console {
	return &Console{w: w, out: out}
}

// Notify writes one transition.
func (c *Console) Notify(_ context.Context, a alert.Alert) error {
	var b []byte
	if c.out == JSON {
		var err error
		if b, err = json.Marshal(jsonAlert{Alert: a, WindowSeconds: a.Window.Seconds()}); err != nil {
			return fmt.Errorf("encode alert: %w", err)
		}
		b = append(b, '\n')
	} else {
		b = []byte(FormatText(a))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.w.Write(b); err != nil {
		return fmt.Errorf("write alert: %w", err)
	}
	return nil
}

// jsonAlert adds the window in seconds to the JSON form.
type jsonAlert struct {
	alert.Alert

	WindowSeconds float64 `json:"window_seconds"`
}

// maxSampleRunes is how much of a sample line the text output shows.
const maxSampleRunes = 200

// FormatText renders a transition for people, one headline and, when
// firing, the top offenders and a sample line. Every log-derived string
// is escaped: a terminal never receives the attacker's control bytes.
func FormatText(a alert.Alert) string {
	var b strings.Builder
	t := a.Time.UTC().Format(time.RFC3339)
	switch a.State {
	case alert.Firing:
		op := "≥"
		if a.Down {
			op = "≤"
		}
		fmt.Fprintf(&b, "%s FIRING   %s [%s]: %s %s %s", t, a.Rule, a.Severity, alert.FormatValue(a.Value, a.Unit), op, alert.FormatValue(a.Threshold, a.Unit))
		if a.PerKey {
			fmt.Fprintf(&b, " per %s", a.GroupBy)
		}
		if a.Window > 0 {
			fmt.Fprintf(&b, " over %s", alert.FormatDuration(a.Window))
		}
		if a.Current > 0 {
			fmt.Fprintf(&b, ", now %s", alert.FormatValue(a.Current, a.Unit))
		}
		if a.Baseline != 0 || a.Spread != 0 {
			fmt.Fprintf(&b, ", normal %s ± %s", alert.FormatValue(a.Baseline, a.Unit), alert.FormatValue(a.Spread, a.Unit))
		}
		fmt.Fprintf(&b, " (%s events", alert.Thousands(a.Count))
		if a.DistinctOf != "" && a.Unit != alert.Distinct {
			fmt.Fprintf(&b, " from %s distinct %s", alert.Thousands(a.Distinct), a.DistinctOf)
		}
		b.WriteString(")\n")
		if a.Description != "" {
			fmt.Fprintf(&b, "    %s\n", a.Description)
		}
		if len(a.Keys) > 0 {
			fmt.Fprintf(&b, "    top %s: ", a.GroupBy)
			for i, k := range a.Keys {
				if i > 0 {
					b.WriteString(", ")
				}
				if k.Error > 0 {
					// A Space-Saving estimate: between count-error and count.
					fmt.Fprintf(&b, "%s (%s–%s)", alert.Sanitize(k.Key, 80), alert.Thousands(k.Count-k.Error), alert.Thousands(k.Count))
				} else {
					fmt.Fprintf(&b, "%s (%s)", alert.Sanitize(k.Key, 80), alert.Thousands(k.Count))
				}
			}
			b.WriteByte('\n')
		}
		if len(a.Samples) > 0 {
			fmt.Fprintf(&b, "    sample: %s\n", alert.Sanitize(a.Samples[len(a.Samples)-1], maxSampleRunes))
		}
	case alert.Resolved:
		past := "below"
		if a.Down {
			past = "above"
		}
		fmt.Fprintf(&b, "%s RESOLVED %s: %s, %s %s; held %s from %s, peak %s\n", t, a.Rule, alert.FormatValue(a.Value, a.Unit), past, alert.FormatValue(a.ResolveAt, a.Unit), alert.FormatDuration(a.Time.Sub(a.Since)), a.Since.UTC().Format(time.TimeOnly), alert.FormatValue(a.Peak, a.Unit))
	}
	return b.String()
}
