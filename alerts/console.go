package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
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
func (c *Console) Notify(_ context.Context, a Alert) error {
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
	Alert
	WindowSeconds float64 `json:"window_seconds"`
}

// maxSampleRunes is how much of a sample line the text output shows.
const maxSampleRunes = 200

// FormatText renders a transition for people, one headline and, when
// firing, the top offenders and a sample line. Every log-derived string
// is escaped: a terminal never receives the attacker's control bytes.
func FormatText(a Alert) string {
	var b strings.Builder
	t := a.Time.UTC().Format(time.RFC3339)
	switch a.State {
	case Firing:
		op := "≥"
		if a.Down {
			op = "≤"
		}
		fmt.Fprintf(&b, "%s FIRING   %s [%s]: %s %s %s", t, a.Rule, a.Severity, FormatValue(a.Value, a.Unit), op, FormatValue(a.Threshold, a.Unit))
		if a.PerKey {
			fmt.Fprintf(&b, " per %s", a.GroupBy)
		}
		if a.Window > 0 {
			fmt.Fprintf(&b, " over %s", FormatDuration(a.Window))
		}
		if a.Current > 0 {
			fmt.Fprintf(&b, ", now %s", FormatValue(a.Current, a.Unit))
		}
		if a.Baseline != 0 || a.Spread != 0 {
			fmt.Fprintf(&b, ", normal %s ± %s", FormatValue(a.Baseline, a.Unit), FormatValue(a.Spread, a.Unit))
		}
		fmt.Fprintf(&b, " (%s events", Thousands(a.Count))
		if a.DistinctOf != "" && a.Unit != "distinct" {
			fmt.Fprintf(&b, " from %s distinct %s", Thousands(a.Distinct), a.DistinctOf)
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
					fmt.Fprintf(&b, "%s (%s–%s)", Sanitize(k.Key, 80), Thousands(k.Count-k.Error), Thousands(k.Count))
				} else {
					fmt.Fprintf(&b, "%s (%s)", Sanitize(k.Key, 80), Thousands(k.Count))
				}
			}
			b.WriteByte('\n')
		}
		if len(a.Samples) > 0 {
			fmt.Fprintf(&b, "    sample: %s\n", Sanitize(a.Samples[len(a.Samples)-1], maxSampleRunes))
		}
	case Resolved:
		past := "below"
		if a.Down {
			past = "above"
		}
		peak := "peak "
		if a.Unit == "distinct" {
			// A distinct count is estimated exactly only when its bounds
			// cannot decide, so the peak seen is a lower bound.
			peak = "peak at least "
		}
		fmt.Fprintf(&b, "%s RESOLVED %s: %s, %s %s; held %s from %s, %s%s\n", t, a.Rule, FormatValue(a.Value, a.Unit),
			past, FormatValue(a.ResolveAt, a.Unit), FormatDuration(a.Time.Sub(a.Since)), a.Since.UTC().Format(time.TimeOnly), peak, FormatValue(a.Peak, a.Unit))
	}
	return b.String()
}

// FormatValue prints a value in its unit: "240.5/s", "0.2/s", "34 distinct",
// "32.5%" for a share, "5m silent" for an absence.
func FormatValue(v float64, unit string) string {
	var s string
	switch {
	case v == float64(int64(v)) && v < 1e15:
		s = Thousands(uint64(max(v, 0)))
	case v >= 100:
		s = strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		s = strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
	default:
		s = strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v, 'f', 2, 64), "0"), ".")
	}
	switch unit {
	case "distinct":
		return s + " distinct"
	case "share":
		return strings.TrimSuffix(strconv.FormatFloat(100*v, 'f', 1, 64), ".0") + "%"
	case "s silent":
		return FormatDuration(time.Duration(v*float64(time.Second))) + " silent"
	}
	return s + unit
}

// FormatDuration prints whole seconds compactly: 30s, 1m, 1m9s, 2h5m.
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d <= 0 {
		return "0s"
	}
	h, m, sec := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if sec > 0 {
		fmt.Fprintf(&b, "%ds", sec)
	}
	return b.String()
}

// Thousands formats n with commas: 4812 → "4,812".
func Thousands(n uint64) string {
	s := strconv.FormatUint(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// Sanitize makes attacker-controlled text safe for a terminal: control
// characters (ANSI escapes included) and invalid UTF-8 become \xHH,
// bidirectional overrides and line separators (which can make a line read
// backwards or split it) become \uXXXX, and the result is cut to maxRunes
// with an ellipsis.
func Sanitize(s string, maxRunes int) string {
	return mapRunes(s, maxRunes, func(b *strings.Builder, r rune, raw string) {
		switch {
		case r == utf8.RuneError && len(raw) == 1, isControl(r):
			for _, c := range []byte(raw) {
				fmt.Fprintf(b, `\x%02x`, c)
			}
		case isBidiOrBreak(r):
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteString(raw)
		}
	})
}

// isBidiOrBreak reports the characters that reorder or break displayed
// text: bidirectional embeddings, overrides, isolates and marks, and the
// Unicode line and paragraph separators.
func isBidiOrBreak(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f ||
		r == 0x061c || r == 0x2028 || r == 0x2029
}
