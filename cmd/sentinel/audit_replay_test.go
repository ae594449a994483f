package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
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
