package report

import (
	"cmp"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/source"
)

// ActionMark is one would-be action of a replay (a flag flip, a revert):
// a marker on its rule's chart and a row in the actions table. Label is
// shown as text and escaped.
type ActionMark struct {
	Time  time.Time
	Label string
	Rule  string
}

// RuleInfo describes one rule for its chart's heading.
type RuleInfo struct {
	Name        string
	Description string
	Severity    string
	// Condition says when it fires, for people: "rate ≥ 1/s over 30s".
	Condition string
	// Baseline says that the rule learns its normal: its chart shows the
	// learned band.
	Baseline bool
}

// Report is everything a replay report shows. Fill it from a [Recorder]
// with [Recorder.Report], then add what the recorder does not see.
type Report struct {
	Title string
	// Rules are every rule, in the config's order; the page shows those
	// that fired first. Rules never evaluated (no events) get no chart.
	Rules []RuleInfo
	// Start and Width are the series' timeline (see [Series]); End is the
	// last evaluation.
	Start, End time.Time
	Width      time.Duration
	Series     []*Series
	// Alerts are the alert transitions, in order; AlertsDropped counts
	// those past the recorder's bound.
	Alerts        []alert.Alert
	AlertsDropped int
	Sources       []*source.Stats
	// Actions are the would-be actions, in time order.
	Actions []ActionMark
	// Notices are what the engine learned about the log that a person
	// should know: rules the log leaves blind, a proxy in front.
	Notices []string
}

// Report returns the report of what r gathered, to complete with rules,
// sources and actions. It shares r's series.
func (r *Recorder) Report() *Report {
	start, width, series := r.Series()
	kept, dropped := r.Alerts()
	return &Report{Start: start, End: r.End(), Width: width, Series: series, Alerts: kept, AlertsDropped: dropped}
}

// maxKeyRunes and maxLineRunes cut log-derived text in the page.
const (
	maxKeyRunes  = 80
	maxLineRunes = 300
)

// checkScript marks the page as drawn once every chart has a non-empty
// value path: scripts/report-check reads the mark through headless
// Chromium. It is the page's only script.
const checkScript = `document.addEventListener("DOMContentLoaded", function () {
  var charts = document.querySelectorAll("svg.chart");
  var empty = 0;
  charts.forEach(function (c) {
    var p = c.querySelector("path.value");
    if (!p || !p.getAttribute("d") || p.getTotalLength() <= 0) { empty++; }
  });
  var state = charts.length > 0 && empty === 0 ? "ok" : "empty";
  document.body.setAttribute("data-charts", state);
  document.body.setAttribute("data-chart-count", String(charts.length));
});`

// csp allows only the page's own styles and its one script (by hash): no
// network at all, and no script an escaping bug could inject would run.
var csp = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-" + scriptHash() + "'"

func scriptHash() string {
	sum := sha256.Sum256([]byte(checkScript))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// WriteHTML writes the report as one self-contained HTML page.
func (rep *Report) WriteHTML(w io.Writer) error {
	return page.Execute(w, rep.view())
}

// The template's view of a report: every string in it is plain text for
// html/template to escape, but for the charts, which svgWriter escaped.
type pageView struct {
	Title, CSP    string
	Script        template.JS
	Span          string
	Rules         []ruleView
	Alerts        []alertView
	AlertsDropped int
	Sources       []sourceView
	Actions       []actionView
	Notices       []string
}

type ruleView struct {
	RuleInfo
	Chart    template.HTML
	Fired    int
	NoChart  string
	Evals    string
	BucketIs string
}

type alertView struct {
	Time, Rule, State, Value, Threshold string
	Keys                                []string
	Sample                              string
}

type sourceView struct {
	Name, Format, Lines, Parsed, Skipped, Ignored string
	Examples                                      []string
	More                                          string
}

type actionView struct{ Time, Rule, Label string }

func (rep *Report) view() pageView {
	v := pageView{Title: rep.Title, CSP: csp, Script: template.JS(checkScript), AlertsDropped: rep.AlertsDropped, Notices: rep.Notices}
	if !rep.Start.IsZero() {
		v.Span = rep.Start.UTC().Format(time.RFC3339) + " to " + rep.End.UTC().Format(time.RFC3339) +
			" (" + span(rep.End.Sub(rep.Start)) + " of log time)"
	}
	byRule := map[string]*Series{}
	for _, s := range rep.Series {
		byRule[s.Rule] = s
	}
	end := rep.End
	if !end.After(rep.Start) {
		end = rep.Start.Add(time.Second)
	}
	for _, ri := range rep.Rules {
		rv := ruleView{RuleInfo: ri}
		var ras []alert.Alert
		for _, a := range rep.Alerts {
			if a.Rule == ri.Name {
				ras = append(ras, a)
				if a.State == alert.Firing && !a.Escalated {
					rv.Fired++
				}
			}
		}
		var acts []ActionMark
		for _, a := range rep.Actions {
			if a.Rule == ri.Name {
				acts = append(acts, a)
			}
		}
		s := byRule[ri.Name]
		if s == nil || len(s.Points) == 0 {
			rv.NoChart = "never evaluated: no matching event"
		} else {
			c := chart{rule: ri.Name, series: s, start: rep.Start, end: end, width: rep.Width, alerts: ras, actions: acts, baseline: ri.Baseline}
			rv.Chart = c.svg()
			rv.Evals = alert.Thousands(uint64(s.Evaluations))
			rv.BucketIs = alert.FormatDuration(rep.Width)
		}
		v.Rules = append(v.Rules, rv)
	}
	// The rules that fired come first: on a month of logs, they are what
	// the reader came for.
	slices.SortStableFunc(v.Rules, func(a, b ruleView) int {
		return cmp.Compare(min(b.Fired, 1), min(a.Fired, 1))
	})
	for _, a := range rep.Alerts {
		av := alertView{
			Time: a.Time.UTC().Format(time.RFC3339), Rule: a.Rule, State: stateWord(a),
			Value: alert.FormatValue(a.Value, a.Unit), Threshold: alert.FormatValue(a.Threshold, a.Unit),
		}
		for _, k := range a.Keys {
			av.Keys = append(av.Keys, alert.Sanitize(k.Key, maxKeyRunes)+" ("+alert.FormatCount(k)+")")
		}
		if len(a.Samples) > 0 {
			av.Sample = alert.Sanitize(a.Samples[len(a.Samples)-1], maxLineRunes)
		}
		v.Alerts = append(v.Alerts, av)
	}
	n := func(x int64) string { return alert.Thousands(uint64(max(x, 0))) }
	for _, st := range rep.Sources {
		how := "given"
		if st.Detected {
			how = "detected"
		}
		format := st.Format + " (" + how + ")"
		if st.Format == "" {
			format = "not read"
		}
		if st.NotRead != "" {
			format = "not read: " + st.NotRead
		}
		sv := sourceView{
			Name: alert.Sanitize(st.Name, maxLineRunes), Format: format, Lines: n(st.Lines), Parsed: n(st.Parsed),
			Skipped: fmt.Sprintf("%s (%s malformed, %s too long)", n(st.Skipped()), n(st.Malformed), n(st.TooLong)),
			Ignored: n(st.Ignored),
		}
		for _, e := range st.Errors {
			sv.Examples = append(sv.Examples, alert.Sanitize(e.Error(), maxLineRunes))
		}
		if more := st.Malformed - int64(len(st.Errors)); more > 0 {
			sv.More = "… and " + n(more) + " more"
		}
		v.Sources = append(v.Sources, sv)
	}
	for _, a := range rep.Actions {
		v.Actions = append(v.Actions, actionView{Time: a.Time.UTC().Format(time.RFC3339), Rule: a.Rule, Label: alert.Sanitize(a.Label, maxLineRunes)})
	}
	return v
}

// span prints a replay's length: in days and hours past two days.
// stateWord is a transition's state as the report shows it: "raised" for
// a firing rule raised to critical (see alert.Alert.Escalated).
func stateWord(a alert.Alert) string {
	if a.Escalated {
		return "raised"
	}
	return string(a.State)
}

func span(d time.Duration) string {
	if d < 48*time.Hour {
		return alert.FormatDuration(d)
	}
	days, hours := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	return fmt.Sprintf("%d days %dh", days, hours)
}

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"join": strings.Join,
}).Parse(pageTemplate))

const pageTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{{.CSP}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; margin: 24px auto; max-width: 960px; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 2px; } h2 { font-size: 18px; margin-top: 32px; border-bottom: 1px solid #d8dce4; }
h3 { font-size: 15px; margin: 22px 0 2px; } .muted { color: #687080; } .sev-critical { color: #b3261e; } .sev-warning { color: #9a6700; }
table { border-collapse: collapse; width: 100%; font-size: 13px; } th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #e6e8ee; vertical-align: top; }
td.num { text-align: right; font-variant-numeric: tabular-nums; } code, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
tr.firing td.state { color: #b3261e; font-weight: 600; } tr.resolved td.state { color: #2e7d32; }
svg.chart { display: block; width: 100%; height: auto; max-width: 900px; }
svg .plot { fill: #fbfcfe; stroke: #d8dce4; } svg .grid { stroke: #e6e8ee; } svg text { font: 11px system-ui, sans-serif; fill: #687080; }
svg .ylabel { text-anchor: end; } svg .firing { fill: #f6c9c5; opacity: .6; }
svg .range { fill: #9cc3f0; opacity: .55; } svg .value { fill: none; stroke: #1f5fbf; stroke-width: 1.4; }
svg .baseline { fill: #b9e0c0; opacity: .6; } svg .threshold { fill: none; stroke: #c62828; stroke-width: 1.2; stroke-dasharray: 5 3; }
svg .mark-firing { fill: #c62828; } svg .mark-resolved { stroke: #2e7d32; stroke-width: 2; } svg .mark-action { fill: #7b1fa2; }
.legend span { margin-right: 14px; } .sw { display: inline-block; width: 12px; height: 10px; margin-right: 4px; vertical-align: middle; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="muted">{{if .Span}}{{.Span}}{{else}}no dated events{{end}}</p>
<p class="legend muted"><span><i class="sw" style="background:#1f5fbf"></i>value (highest in each column; band: lowest to highest)</span><span><i class="sw" style="background:#c62828"></i>threshold</span><span><i class="sw" style="background:#b9e0c0"></i>learned normal ± 1σ</span><span><i class="sw" style="background:#f6c9c5"></i>firing</span><span><i class="sw" style="background:#7b1fa2"></i>action</span></p>

<h2>Rules</h2>
{{range .Rules}}<section class="rule" id="rule-{{.Name}}">
<h3>{{.Name}} <span class="sev-{{.Severity}}">[{{.Severity}}]</span> <span class="muted">{{.Condition}}; fired {{.Fired}}×</span></h3>
{{if .Description}}<p class="muted">{{.Description}}</p>{{end}}
{{if .Chart}}{{.Chart}}<p class="muted">{{.Evals}} evaluations, one column per {{.BucketIs}} of log time.</p>{{else}}<p class="muted nochart">{{.NoChart}}</p>{{end}}
</section>
{{end}}
<h2>Alerts</h2>
{{if .Alerts}}<table class="alerts">
<tr><th>time</th><th>rule</th><th>state</th><th>value</th><th>threshold</th><th>top keys</th></tr>
{{range .Alerts}}<tr class="alert {{.State}}"><td class="mono">{{.Time}}</td><td>{{.Rule}}</td><td class="state">{{.State}}</td><td class="num">{{.Value}}</td><td class="num">{{.Threshold}}</td><td class="mono">{{join .Keys ", "}}{{if .Sample}}<div class="muted">sample: {{.Sample}}</div>{{end}}</td></tr>
{{end}}</table>
{{if .AlertsDropped}}<p class="muted">… and {{.AlertsDropped}} more transitions, not listed.</p>{{end}}
{{else}}<p class="muted">No alert.</p>{{end}}

<h2>Actions</h2>
{{if .Actions}}<table class="actions">
<tr><th>time</th><th>rule</th><th>action</th></tr>
{{range .Actions}}<tr class="action"><td class="mono">{{.Time}}</td><td>{{.Rule}}</td><td>{{.Label}}</td></tr>
{{end}}</table>
{{else}}<p class="muted">No would-be action (no action is configured).</p>{{end}}

<h2>Sources</h2>
{{range .Notices}}<p class="notice">{{.}}</p>
{{end}}<table class="sources">
<tr><th>file</th><th>format</th><th>lines</th><th>parsed</th><th>skipped</th><th>ignored</th></tr>
{{range .Sources}}<tr class="source"><td class="mono">{{.Name}}</td><td>{{.Format}}</td><td class="num">{{.Lines}}</td><td class="num">{{.Parsed}}</td><td class="num">{{.Skipped}}</td><td class="num">{{.Ignored}}</td></tr>
{{if .Examples}}<tr><td colspan="6"><div class="muted">skipped lines:</div>{{range .Examples}}<div class="mono skipped">{{.}}</div>{{end}}{{if .More}}<div class="muted">{{.More}}</div>{{end}}</td></tr>{{end}}
{{end}}</table>
<p class="muted">Made by sentinel replay. Text from the log is shown as written, escaped.</p>
<script>{{.Script}}</script>
</body>
</html>
`
