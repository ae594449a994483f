package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// TestDocs_replaySuggest: docs/replay.md shows what `sentinel replay -q
// --suggest samples/quiet-day.log` prints; it must be what it prints
// (trailing spaces aside), so that the example a reader tunes from is
// the embedded rules' own.
func TestDocs_replaySuggest(t *testing.T) {
	testutil.LongRacedElsewhere(t, "TestReplay_samples and TestReplay_twoCores (the replay pipeline)")
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "replay.md"))
	if err != nil {
		t.Fatal(err)
	}
	const cmd = "sentinel replay -q --suggest samples/quiet-day.log"
	m := regexp.MustCompile("(?s)```sh\n" + regexp.QuoteMeta(cmd) + "\n```\n\n```\n(.*?)```").FindSubmatch(doc)
	if m == nil {
		t.Fatalf("docs/replay.md has no %q block followed by its output", cmd)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"replay", "-q", "--suggest", "../../samples/quiet-day.log"}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	trim := func(s string) string {
		var out []string
		for l := range strings.SplitSeq(strings.Trim(s, "\n"), "\n") {
			out = append(out, strings.TrimRight(l, " "))
		}
		return strings.Join(out, "\n")
	}
	if diff := cmp.Diff(trim(string(m[1])), trim(stdout.String())); diff != "" {
		t.Errorf("docs/replay.md's --suggest example is not what %s prints (-doc +printed):\n%s", cmd, diff)
	}
}

// TestReplay_summarySkipped: "A line that does not parse is counted and
// skipped, never fatal; the summary shows the first five with
// file:line" (README, "Log formats"), and says how many more there were.
func TestReplay_summarySkipped(t *testing.T) {
	const good = `203.0.113.9 - - [27/Nov/2026:01:20:00 +0000] "GET / HTTP/1.1" 200 512 "-" "curl/8.5.0"`
	var log strings.Builder
	for i := 1; i <= 20; i++ {
		if i%3 == 0 {
			fmt.Fprintf(&log, "not a log line %d\n", i)
		} else {
			log.WriteString(good + "\n")
		}
	}
	path := filepath.Join(t.TempDir(), "access.log")
	if err := os.WriteFile(path, []byte(log.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"replay", path}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	if !strings.Contains(out, path+": 20 lines, 14 parsed, 6 skipped (6 malformed, 0 too long), 0 ignored; format combined (detected)") {
		t.Errorf("summary does not count the lines:\n%s", out)
	}
	var shown []string
	for l := range strings.SplitSeq(out, "\n") {
		if rest, ok := strings.CutPrefix(l, "    skipped "); ok {
			shown = append(shown, rest)
		}
	}
	want := []string{}
	for _, n := range []int{3, 6, 9, 12, 15} {
		want = append(want, fmt.Sprintf("%s:%d: malformed line: not combined", path, n))
	}
	if diff := cmp.Diff(want, shown); diff != "" {
		t.Errorf("skipped lines shown (-want +got):\n%s\n%s", diff, out)
	}
	if !strings.Contains(out, "    … and 1 more skipped lines\n") {
		t.Errorf("summary does not say how many more were skipped:\n%s", out)
	}
}

// TestREADME_samplesExplain: the README's Samples section runs
// `sentinel explain -r traffic-spike samples/benign-ramp.log` to see "why
// it stayed quiet": the rule never fired, and explain shows its closest
// approaches, under the threshold.
func TestREADME_samplesExplain(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "sentinel explain -r traffic-spike samples/benign-ramp.log   # why it stayed quiet") {
		t.Fatal("README's Samples section no longer shows the explain command this test runs")
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"explain", "-r", "traffic-spike", "../../samples/benign-ramp.log"}, strings.NewReader(""), &stdout, &stderr); code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"traffic-spike: rate ", "\n  never fired\n", "closest approaches without firing:", "inactive: below the threshold"} {
		if !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}
}
