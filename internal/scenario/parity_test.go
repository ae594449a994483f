package scenario

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/parsers"
)

// parityCells are the pinned matrix's cells TestFormats_parity replays in
// every format: an ordinary day (its deploy raises a 5xx alert) and each
// kind of attack, on the smallest site, where a cell is 10,000 to 40,000
// lines and the attacks fire all the same (they are absolute). The 72
// replays take about 6 s of two cores (15 s on a busy machine).
var parityCells = []string{
	"benign@0.2",
	"signup-flood@0.2",
	"stuffing-spread@0.2",
	"stuffing-burst@0.2",
	"hostile-client@0.2",
	"scraper-24@0.2",
	"scraper-64@0.2",
	"outage@0.2",
}

// parityShortCells are the cells of a -short or race run: a flood of
// addresses, a rotation through an IPv6 /64 and 5xx, 27 replays. The
// generator under the race detector is several times slower, and the
// race pass has its own budget; the run without -short covers the rest.
var parityShortCells = []string{"signup-flood@0.2", "scraper-64@0.2", "outage@0.2"}

// paritySubset returns short for a -short or race run, saying so, else
// all.
func paritySubset(t *testing.T, all, short []string) []string {
	if raceEnabled || testing.Short() {
		t.Logf("-short or race: %d cells of %d (%s)", len(short), len(all), strings.Join(short, ", "))
		return short
	}
	return all
}

// TestFormats_parity: the same traffic gives the same alerts whatever
// the log format it is written in. Each cell of parityCells is written in
// combined and in every format of ParityFormats, each log replayed with
// the embedded defaults and its format detected (no --format), and every
// alert transition (rule, state, time, severity, value, threshold, keys
// and their counts) compared with combined's. The formats stamp a request
// at combined's instant (jsonlog.go), so a difference is the parser's, or
// a property of the format that the test names.
func TestFormats_parity(t *testing.T) {
	bin := sentinelBinary(t)
	cells := paritySubset(t, parityCells, parityShortCells)
	start := time.Now()
	type job struct {
		cell, format string
		res          *Result
		err          error
	}
	var jobs []*job
	for _, cell := range cells {
		for _, f := range append([]string{FormatCombined}, ParityFormats...) {
			jobs = append(jobs, &job{cell: cell, format: f})
		}
	}
	work := make(chan *job)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for j := range work {
				sc, err := parityScenario(j.cell, j.format)
				if err != nil {
					j.err = err
					continue
				}
				j.res, j.err = (&Replayer{Binary: bin}).Run(context.Background(), sc)
			}
		})
	}
	for _, j := range jobs {
		work <- j
	}
	close(work)
	wg.Wait()
	t.Logf("%d replays in %v", len(jobs), time.Since(start).Round(time.Millisecond))

	results := map[[2]string]*Result{}
	for _, j := range jobs {
		if j.err != nil {
			t.Fatalf("%s in %s: %v", j.cell, j.format, j.err)
		}
		results[[2]string{j.cell, j.format}] = j.res
	}
	for _, cell := range cells {
		want := results[[2]string{cell, FormatCombined}]
		wantParsed := parsedLines(t, cell, FormatCombined, want)
		if len(want.Alerts) == 0 {
			t.Errorf("%s: combined raised no alert: nothing to compare", cell)
		}
		for _, f := range ParityFormats {
			got := results[[2]string{cell, f}]
			// Every line parsed, as many as combined's, in the format
			// detected as the one written.
			if n := parsedLines(t, cell, f, got); n != wantParsed {
				t.Errorf("%s in %s: %d lines parsed, combined %d", cell, f, n, wantParsed)
			}
			if d := diffAlerts(want.Alerts, got.Alerts); d != "" {
				t.Errorf("%s in %s: the alerts differ from combined's (-combined +%s):\n%s", cell, f, f, d)
			}
		}
	}
}

// parityScenario builds a cell of the pinned matrix ("row@size") with its
// log written in format.
func parityScenario(cell, format string) (*Scenario, error) {
	name, size, ok := strings.Cut(cell, "@")
	if !ok {
		return nil, fmt.Errorf("cell %q: want row@size", cell)
	}
	r, err := Find(Rows, name)
	if err != nil {
		return nil, err
	}
	var s float64
	if _, err := fmt.Sscan(size, &s); err != nil {
		return nil, fmt.Errorf("cell %q: %w", cell, err)
	}
	row := *r
	row.Format = format
	return Build(&row, s, Pinned), nil
}

var summaryRE = regexp.MustCompile(`^([0-9,]+) lines, ([0-9,]+) parsed, 0 skipped .*; format (\S+) \(detected\)$`)

// parsedLines checks that replay read every line of res's log, in format
// f detected as itself, and returns how many it parsed.
func parsedLines(t *testing.T, cell, f string, res *Result) int {
	t.Helper()
	m := summaryRE.FindStringSubmatch(res.Summary())
	if m == nil || m[1] != m[2] || m[3] != f {
		t.Errorf("%s in %s: replay read %q, want every line parsed, the format detected as %s", cell, f, res.Summary(), f)
		return -1
	}
	var n int
	fmt.Sscan(strings.ReplaceAll(m[2], ",", ""), &n)
	return n
}

// alertLine is an alert as the parity test compares it.
func alertLine(a *Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s %s value=%g threshold=%g", a.Time.UTC().Format(time.RFC3339Nano), a.Rule, a.State, a.Severity, a.Value, a.Threshold)
	for _, k := range a.Keys {
		fmt.Fprintf(&b, " %s=%g", k.Key, k.Count)
	}
	return b.String()
}

// diffAlerts returns the alerts of want and got that differ, in order, or
// "" when they are the same.
func diffAlerts(want, got []Alert) string {
	var w, g []string
	for i := range want {
		w = append(w, alertLine(&want[i]))
	}
	for i := range got {
		g = append(g, alertLine(&got[i]))
	}
	if strings.Join(w, "\n") == strings.Join(g, "\n") {
		return ""
	}
	if d := Diff(strings.Join(w, "\n")+"\n", strings.Join(g, "\n")+"\n"); d != "" {
		return d
	}
	// The same lines in another order, or repeated.
	return "-" + strings.Join(w, "\n-") + "\n+" + strings.Join(g, "\n+") + "\n"
}

// parityMissing are the fields a format's lines do not carry, so that
// TestFormats_parityEvents leaves them out: what the program writes, not
// what sentinel reads of it. The Go services' middleware logs no
// protocol; gin-contrib/zap logs neither the referer nor the size;
// Railway's HTTP logs have no referer.
var parityMissing = map[string][]string{
	FormatRailwayJSON: {"referer"},
	FormatSlogJSON:    {"protocol"},
	FormatZapJSON:     {"protocol", "referer", "bytes"},
	FormatZerologJSON: {"protocol"},
	FormatLogfmt:      {"protocol"},
}

// parityEventCells are the cells whose every line TestFormats_parityEvents
// compares (every row of the matrix agreed when it was written); with
// -short or the race detector, the last alone.
var parityEventCells = []string{"signup-flood@0.2", "scraper-64@0.2", "outage@0.2"}

// TestFormats_parityEvents reads every line of a few cells in combined
// and in each format of ParityFormats with the format's decoder, and
// compares each event's fields with combined's: the time, the client, the
// method, the path and query, the protocol, the status, the size, the
// referer and the user agent, less what the format does not carry
// (parityMissing). The alerts of TestFormats_parity depend on a few of
// these only; a rule of a user's may match any.
func TestFormats_parityEvents(t *testing.T) {
	for _, cell := range paritySubset(t, parityEventCells, parityEventCells[len(parityEventCells)-1:]) {
		want := parityEvents(t, cell, FormatCombined)
		for _, f := range ParityFormats {
			got := parityEvents(t, cell, f)
			if len(got) != len(want) {
				t.Errorf("%s in %s: %d events, combined %d", cell, f, len(got), len(want))
				continue
			}
			skip := map[string]bool{}
			for _, k := range parityMissing[f] {
				skip[k] = true
			}
			bad := 0
			for i := range want {
				for k, w := range want[i] {
					g := got[i][k]
					if skip[k] {
						// Left out because the format has none: the
						// decoder must find none.
						if g != "" && g != "-1" {
							if bad++; bad <= 5 {
								t.Errorf("%s in %s: line %d: %s %q, where parityMissing says the format has none", cell, f, i+1, k, g)
							}
						}
						continue
					}
					if g != w {
						if bad++; bad <= 5 {
							t.Errorf("%s in %s: line %d: %s %q, combined %q", cell, f, i+1, k, g, w)
						}
					}
				}
			}
			if bad > 5 {
				t.Errorf("%s in %s: %d differences in all", cell, f, bad)
			}
		}
	}
}

// parityEvents writes cell in format and returns the fields of each event
// its decoder reads, one map per line.
func parityEvents(t *testing.T, cell, format string) []map[string]string {
	t.Helper()
	sc, err := parityScenario(cell, format)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, _, err := sc.Generate(&buf); err != nil {
		t.Fatal(err)
	}
	dec, err := parsers.New(format, parsers.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var events []map[string]string
	emit := func(ev *parsers.Event) {
		q := "-"
		if ev.Query != nil {
			q = string(ev.Query)
		}
		events = append(events, map[string]string{
			"time":       ev.Time.UTC().Format(time.RFC3339Nano),
			"client":     string(ev.ClientIP),
			"method":     string(ev.Method),
			"path":       string(ev.Path),
			"query":      q,
			"protocol":   string(ev.Protocol),
			"status":     strconv.Itoa(ev.Status),
			"bytes":      strconv.FormatInt(ev.Bytes, 10),
			"referer":    string(ev.Referer),
			"user_agent": string(ev.UserAgent),
		})
	}
	for i, l := range bytes.Split(bytes.TrimSuffix(buf.Bytes(), []byte("\n")), []byte("\n")) {
		if err := dec.Decode(l, emit); err != nil {
			t.Fatalf("%s in %s: line %d: %v: %s", cell, format, i+1, err, l)
		}
	}
	dec.Flush(emit)
	return events
}
