package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// captionRE reads the numbers of the report's screenshot caption.
var captionRE = regexp.MustCompile(`!\[The report of samples/signup-flood\.log: the sign-up rate spiking to ([0-9,.]+/s) against its ([0-9,.]+/s) threshold[^\]]*\]`)

// TestAudit_replayScreenshotCaption: README, "Seeing a replay" (and
// docs/replay.md) caption the report of samples/signup-flood.log with the
// sign-up rate's peak and the threshold it fired at. Both must be what
// `sentinel replay samples/signup-flood.log` says of signup-burst today:
// the peak of its resolution's sparkline, the threshold of its firing.
func TestAudit_replayScreenshotCaption(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"replay", "../../samples/signup-flood.log"}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("replay = %d: %s", code, stderr.String())
	}
	out := stdout.String()
	fired := regexp.MustCompile(`(?m)^\S+ FIRING +signup-burst \[\w+\]: \S+ ≥ (\S+) over`).FindStringSubmatch(out)
	peak := regexp.MustCompile(`(?m)^\S+ RESOLVED signup-burst: .*\n +\S+ \S+ +max (\S+),`).FindStringSubmatch(out)
	if fired == nil || peak == nil {
		t.Fatalf("replay shows no firing and resolution of signup-burst:\n%s", out)
	}
	for _, doc := range []string{"README.md", filepath.Join("docs", "replay.md")} {
		text, err := os.ReadFile(filepath.Join("..", "..", doc))
		if err != nil {
			t.Fatal(err)
		}
		m := captionRE.FindStringSubmatch(string(text))
		if m == nil {
			t.Errorf("%s: no caption of the sign-up flood's report (\"spiking to N/s against its N/s threshold\")", doc)
			continue
		}
		if m[1] != peak[1] || m[2] != fired[1] {
			t.Errorf("%s: caption says %s against %s; replay peaks at %s and fires at %s", doc, m[1], m[2], peak[1], fired[1])
		}
	}
}

// sparkRE is the sparkline line that follows a resolution in text output.
var sparkRE = regexp.MustCompile(`^    \d\d:\d\d:\d\d–\d\d:\d\d:\d\d [▁▂▃▄▅▆▇█]+  max .+, \S+ a cell$`)

// TestAudit_replaySparklines: README, "Seeing a replay": "In text output
// each resolution is followed by a sparkline of the rule's value" — for
// every resolution of every sample, with the default rules and with the
// sample config.
func TestAudit_replaySparklines(t *testing.T) {
	testutil.LongRacedElsewhere(t, "TestReplay_samples and TestReplay_twoCores (the replay pipeline)")
	logs, err := filepath.Glob("../../samples/*.log")
	if err != nil || len(logs) == 0 {
		t.Fatalf("no samples/*.log: %v", err)
	}
	resolutions := 0
	for _, p := range logs {
		for _, cfg := range [][]string{nil, {"-c", "../../samples/sentinel.yaml"}} {
			var stdout, stderr bytes.Buffer
			args := append(append([]string{"replay"}, cfg...), p)
			if code := run(args, strings.NewReader(""), &stdout, &stderr); code != exitOK {
				t.Fatalf("%s = %d: %s", strings.Join(args, " "), code, stderr.String())
			}
			lines := strings.Split(stdout.String(), "\n")
			for i, l := range lines {
				if !strings.Contains(l, " RESOLVED ") {
					continue
				}
				resolutions++
				if i+1 >= len(lines) || !sparkRE.MatchString(lines[i+1]) {
					t.Errorf("%s: %q is not followed by a sparkline", strings.Join(args, " "), l)
				}
			}
		}
	}
	if resolutions < 10 {
		t.Errorf("%d resolutions in the samples, want the floods' and storms' (at least 10)", resolutions)
	}
}

// TestAudit_replayReportOffline: README, "Seeing a replay": the report "opens
// offline": nothing in it loads from anywhere (no src, href, url(), @import
// or <link>), and its Content-Security-Policy allows nothing from the
// network — with the sample config's would-be actions too.
func TestAudit_replayReportOffline(t *testing.T) {
	_, page := replayReport(t, "-c", "../../samples/sentinel.yaml", "../../samples/signup-flood.log")
	for _, re := range []string{`(?i)\ssrc\s*=`, `(?i)\shref\s*=`, `(?i)url\(`, `(?i)@import`, `(?i)<link`, `(?i)<iframe`, `(?i)<object`} {
		if m := regexp.MustCompile(re).FindString(page); m != "" {
			t.Errorf("the report loads something (%q)", m)
		}
	}
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]*)">`).FindStringSubmatch(page)
	if csp == nil || !strings.Contains(csp[1], "default-src &#39;none&#39;") || strings.Contains(csp[1], "http") {
		t.Errorf("Content-Security-Policy %q, want default-src 'none' and no host", csp)
	}
	if !strings.Contains(page, `class="mark-action"`) {
		t.Error("the report shows no would-be action of the sample config")
	}
}
