package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/parsers"
	"github.com/sentinel-dev/sentinel/source"
)

const hostile = `<script>alert(1)</script>"'><img src=x onerror=alert(2)>`

// hostileReport is a report whose every log-derived string is an attack.
func hostileReport(t testing.TB) *Report {
	t.Helper()
	r := &Recorder{}
	for i := range 600 {
		at := t0.Add(time.Duration(i) * time.Second)
		state, v := "inactive", 0.2
		if i >= 300 && i < 360 {
			state, v = "firing", 50
		}
		r.Observe(detector.Evaluation{Rule: "burst", Time: at, Value: v, Threshold: 1, Unit: "/s", State: state})
		r.Observe(detector.Evaluation{Rule: "spike", Time: at, Value: v, Threshold: 4 * 0.2, Baseline: 0.2, Spread: 0.05, Unit: "/s", State: state})
	}
	a := alert.Alert{Rule: "burst", State: alert.Firing, Time: t0.Add(300 * time.Second), Value: 50, Threshold: 1, Unit: "/s", GroupBy: "user_agent",
		Keys: []alert.KeyCount{{Key: hostile, Count: 7}}, Samples: []string{`1.2.3.4 - - "GET /` + hostile + `" 200 "` + hostile + `"`}}
	r.Alert(a)
	a.State, a.Time = alert.Resolved, t0.Add(360*time.Second)
	r.Alert(a)
	rep := r.Report()
	rep.Title = "sentinel replay: " + hostile + ".log"
	rep.Rules = []RuleInfo{
		{Name: "burst", Severity: "critical", Condition: "rate ≥ 1/s over 30s"},
		{Name: "spike", Severity: "warning", Condition: "rate 4× above baseline", Baseline: true},
		{Name: "never", Severity: "info", Condition: "rate ≥ 1/s"},
	}
	rep.Sources = []*source.Stats{{Name: hostile + ".log", Format: "combined", Detected: true, Lines: 10, Parsed: 9, Malformed: 1,
		Errors: []error{&parsers.LineError{File: "x.log", Line: 3, Field: "status", Err: errors.New("invalid " + hostile)}}}}
	rep.Actions = []ActionMark{{Time: t0.Add(301 * time.Second), Label: "flip signups off " + hostile, Rule: "burst"}}
	return rep
}

func render(t testing.TB, rep *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := rep.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestReport_WriteHTML_escapes: no attacker string reaches the page as
// markup, in the tables or in the charts' tooltips, and the page's only
// script is its own.
func TestReport_WriteHTML_escapes(t *testing.T) {
	page := render(t, hostileReport(t))
	for _, bad := range []string{"<script>alert", "<img src=x", "onerror=alert(2)>"} {
		if strings.Contains(page, bad) {
			t.Errorf("page contains %q unescaped", bad)
		}
	}
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("%d <script elements, want 1 (the page's own)", n)
	}
	if n := strings.Count(page, "&lt;script&gt;alert(1)&lt;/script&gt;"); n < 5 {
		t.Errorf("the hostile string shows escaped %d times, want it in the title, keys, sample, source, skipped line, action", n)
	}
	checkStructure(t, page, 2, 2)
}

// checkStructure checks a page's charts (each well-formed SVG with a
// non-empty value path) and its alert rows.
func checkStructure(t testing.TB, page string, charts, alertRows int) {
	t.Helper()
	svgs := regexp.MustCompile(`(?s)<svg class="chart".*?</svg>`).FindAllString(page, -1)
	if len(svgs) != charts {
		t.Errorf("%d charts, want %d", len(svgs), charts)
	}
	for _, s := range svgs {
		d := xml.NewDecoder(strings.NewReader(s))
		value := false
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("chart is not well-formed SVG: %v\n%.300s", err, s)
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "path" {
				var class, dAttr string
				for _, a := range se.Attr {
					switch a.Name.Local {
					case "class":
						class = a.Value
					case "d":
						dAttr = a.Value
					}
				}
				if class == "value" && strings.Count(dAttr, "L") > 0 {
					value = true
				}
			}
		}
		if !value {
			t.Errorf("chart without a value line: %.200s", s)
		}
	}
	if n := strings.Count(page, `<tr class="alert `); n != alertRows {
		t.Errorf("%d alert rows, want %d", n, alertRows)
	}
}

func TestReport_WriteHTML_parts(t *testing.T) {
	page := render(t, hostileReport(t))
	for _, want := range []string{
		`class="firing"`, `class="threshold"`, `class="baseline"`, `class="mark-firing"`, `class="mark-resolved"`, `class="mark-action"`,
		`<tr class="action">`, `<tr class="source">`, `class="mono skipped"`, "never evaluated: no matching event",
		"Content-Security-Policy", "script-src &#39;sha256-",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Error("page refers to the network")
	}
}

func TestReport_WriteHTML_empty(t *testing.T) {
	rep := (&Recorder{}).Report()
	rep.Rules = []RuleInfo{{Name: "r"}}
	page := render(t, rep)
	if !strings.Contains(page, "No alert.") || !strings.Contains(page, "no dated events") {
		t.Errorf("empty report:\n%s", page)
	}
}

func ExampleReport_WriteHTML() {
	rec := &Recorder{}
	for i := range 120 {
		rec.Observe(detector.Evaluation{Rule: "signup-burst", Time: t0.Add(time.Duration(i) * time.Second), Value: float64(i % 7), Threshold: 5, Unit: "/s"})
	}
	rep := rec.Report()
	rep.Title = "sentinel replay: access.log"
	rep.Rules = []RuleInfo{{Name: "signup-burst", Severity: "critical", Condition: "rate ≥ 5/s over 30s"}}
	var page strings.Builder
	if err := rep.WriteHTML(&page); err != nil {
		fmt.Println(err)
	}
	fmt.Println(strings.Count(page.String(), `<svg class="chart"`), "chart")
	// Output: 1 chart
}

func TestReport_WriteHTML_firedFirst(t *testing.T) {
	rep := hostileReport(t)
	rep.Rules[0], rep.Rules[1] = rep.Rules[1], rep.Rules[0] // burst, which fired, second in the config
	page := render(t, rep)
	if b, s := strings.Index(page, `id="rule-burst"`), strings.Index(page, `id="rule-spike"`); b < 0 || s < 0 || b > s {
		t.Errorf("burst (fired) at %d, spike (did not) at %d: want the one that fired first", b, s)
	}
}

func TestSpan(t *testing.T) {
	for _, tt := range []struct {
		in   time.Duration
		want string
	}{{49*time.Minute + 50*time.Second, "49m50s"}, {722*time.Hour + 13*time.Minute, "30 days 2h"}} {
		if got := span(tt.in); got != tt.want {
			t.Errorf("span(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
