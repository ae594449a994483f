package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// replayReport runs replay --output json --report on args and returns
// its stdout lines and the page.
func replayReport(tb testing.TB, args ...string) (lines []string, page string) {
	tb.Helper()
	out := filepath.Join(tb.TempDir(), "report.html")
	lines = replayJSON(tb, append([]string{"--report", out}, args...)...)
	b, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	return lines, string(b)
}

var (
	chartRE = regexp.MustCompile(`(?s)<svg class="chart".*?</svg>`)
	valueRE = regexp.MustCompile(`<path class="value" d="M[0-9.]+,[0-9.]+(L[0-9.]+,[0-9.]+)+"`)
)

// checkPage checks a report's structure: a chart with a value line per
// rule, one alert row per transition, the sources table.
func checkPage(tb testing.TB, page string, charts, alertRows int) {
	tb.Helper()
	svgs := chartRE.FindAllString(page, -1)
	if len(svgs) != charts {
		tb.Errorf("%d charts, want %d", len(svgs), charts)
	}
	for _, s := range svgs {
		if !valueRE.MatchString(s) {
			tb.Errorf("chart without a value line: %.300s", s)
		}
	}
	if n := strings.Count(page, `<tr class="alert `); n != alertRows {
		tb.Errorf("%d alert rows, want %d", n, alertRows)
	}
	if !strings.Contains(page, `<tr class="source">`) {
		tb.Error("no sources table")
	}
}

// TestReplay_report renders the report of every sample: its JSON output
// is the golden one, byte for byte (a report changes nothing on stdout),
// and the page has a chart per default rule and a row per transition.
func TestReplay_report(t *testing.T) {
	testutil.LongRacedElsewhere(t, "TestReplay_samples and TestReplay_twoCores (the replay pipeline)")
	logs, _ := filepath.Glob("../../samples/*.log")
	if len(logs) == 0 {
		t.Fatal("no samples/*.log")
	}
	for _, p := range logs {
		name := filepath.Base(p)
		t.Run(name, func(t *testing.T) {
			lines, page := replayReport(t, p)
			want, err := os.ReadFile(filepath.Join("testdata", "golden", name+".jsonl"))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(lines, "\n") + "\n"; got != string(want) {
				t.Errorf("replay --output json --report %s differs from its golden output", name)
			}
			checkPage(t, page, len(config.Default().Rules), len(lines))
			if !strings.Contains(page, "<title>sentinel replay: "+name+"</title>") {
				t.Errorf("title: want the file's base name")
			}
		})
	}
}

// TestReplay_reportHostile: a log whose paths, user agents and malformed
// lines carry markup; the page shows them escaped, in the alert's top
// keys, its sample and the skipped lines, and runs no script but its own.
func TestReplay_reportHostile(t *testing.T) {
	dir := t.TempDir()
	const ua = `<script>alert(document.cookie)</script>`
	var log bytes.Buffer
	for i := range 40 {
		log.WriteString(`203.0.113.` + string(rune('1'+i%5)) + ` - - [27/Nov/2026:01:20:0` + string(rune('0'+i/10)) +
			` +0000] "POST /users/register?next=<script>alert(1)</script> HTTP/1.1" 302 0 "-" "` + ua + `"` + "\n")
	}
	log.WriteString(`203.0.113.9 - - [27/Nov/2026:01:20:04 +0000] "GET / HTTP/1.1" <script>alert("skipped") 0 "-" "-"` + "\n")
	logPath := filepath.Join(dir, "hostile.log")
	cfgPath := filepath.Join(dir, "rules.yaml")
	if err := os.WriteFile(logPath, log.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	rules := "defaults: false\nrules:\n  - name: posts\n    match: {method: POST}\n    detector: {type: rate, window: 2s, threshold: 2/s}\n    group_by: user_agent\n"
	if err := os.WriteFile(cfgPath, []byte(rules), 0o644); err != nil {
		t.Fatal(err)
	}
	lines, page := replayReport(t, "-c", cfgPath, logPath)
	if len(lines) == 0 || !strings.Contains(lines[0], `"key":"\u003cscript\u003ealert(document.cookie)\u003c/script\u003e"`) {
		t.Fatalf("the rule did not fire with the hostile user agent as its top key: %q", lines)
	}
	checkPage(t, page, 1, len(lines))
	if strings.Contains(page, "<script>alert") {
		t.Error("page contains <script>alert unescaped")
	}
	if n := strings.Count(page, "<script"); n != 1 {
		t.Errorf("%d <script elements, want 1 (the page's own)", n)
	}
	for _, want := range []string{
		"&lt;script&gt;alert(document.cookie)&lt;/script&gt; (",              // the top key
		"next=&lt;script&gt;alert(1)&lt;/script&gt;",                         // the sample line
		`status: invalid &#34;&lt;script&gt;alert(\&#34;skipped\&#34;)&#34;`, // the skipped line
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
}

// TestReplay_reportBadPath fails before reading when the report cannot be
// created.
func TestReplay_reportBadPath(t *testing.T) {
	var stdout, stderr bytes.Buffer
	args := []string{"replay", "--report", filepath.Join(t.TempDir(), "no", "such", "dir", "r.html"), "../../samples/quiet-day.log"}
	if code := run(args, strings.NewReader(""), &stdout, &stderr); code != exitFailure {
		t.Errorf("exit %d, want %d", code, exitFailure)
	}
	if !strings.Contains(stderr.String(), "sentinel: error: create report ") || stdout.Len() != 0 {
		t.Errorf("stdout %q, stderr %q", stdout.String(), stderr.String())
	}
}
