package scenario

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ParityCells are the pinned matrix's cells that [Parity] replays in
// every format by default (samplegen -parity, in .ci/run): an ordinary
// day (its deploy raises a 5xx alert) and each kind of attack, on the
// smallest site, where a cell is 10,000 to 40,000 lines and the attacks
// fire all the same (they are absolute). The 72 replays take about 30 s
// of CPU; go test runs a few of them (TestFormats_parity).
var ParityCells = []string{
	"benign@0.2",
	"signup-flood@0.2",
	"stuffing-spread@0.2",
	"stuffing-burst@0.2",
	"hostile-client@0.2",
	"scraper-24@0.2",
	"scraper-64@0.2",
	"outage@0.2",
}

// Parity checks that the same traffic gives the same alerts whatever the
// log format it is written in. Each cell ("row@size" of the pinned
// matrix) is written in combined and in every format of ParityFormats,
// each log replayed through rp (the embedded defaults, its format
// detected: no --format), parallel at a time, and every alert transition
// (time, rule, state, severity, value, threshold, keys and their counts)
// compared with combined's. The formats stamp a request at combined's
// instant (jsonlog.go), so a difference is the parser's, or a property
// of the format.
//
// It returns what differs, one entry per cell and format, with a cell in
// which combined raised no alert (nothing compared) and a log not read
// whole in its own format (every line parsed, as many as combined's,
// the format detected as the one written) among them; the error is one
// that kept a cell from running.
func Parity(ctx context.Context, rp *Replayer, cells []string, parallel int) ([]string, error) {
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
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *job)
	var wg sync.WaitGroup
	for range max(1, parallel) {
		wg.Go(func() {
			for j := range work {
				sc, err := parityScenario(j.cell, j.format)
				if err == nil {
					j.res, err = rp.Run(ctx, sc)
				}
				if err != nil {
					j.err = fmt.Errorf("%s in %s: %w", j.cell, j.format, err)
					cancel()
				}
			}
		})
	}
	for _, j := range jobs {
		select {
		case work <- j:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	for _, j := range jobs {
		if j.err != nil {
			return nil, j.err
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	results := map[[2]string]*Result{}
	for _, j := range jobs {
		results[[2]string{j.cell, j.format}] = j.res
	}
	var diffs []string
	for _, cell := range cells {
		want := results[[2]string{cell, FormatCombined}]
		wantParsed, err := parsedLines(FormatCombined, want)
		if err != nil {
			diffs = append(diffs, cell+" in "+err.Error())
		}
		if len(want.Alerts) == 0 {
			diffs = append(diffs, cell+": combined raised no alert: nothing to compare")
		}
		for _, f := range ParityFormats {
			got := results[[2]string{cell, f}]
			if n, err := parsedLines(f, got); err != nil {
				diffs = append(diffs, cell+" in "+err.Error())
			} else if n != wantParsed {
				diffs = append(diffs, fmt.Sprintf("%s in %s: %d lines parsed, combined %d", cell, f, n, wantParsed))
			}
			if d := diffAlerts(want.Alerts, got.Alerts); d != "" {
				diffs = append(diffs, fmt.Sprintf("%s in %s: the alerts differ from combined's (-combined +%s):\n%s", cell, f, f, d))
			}
		}
	}
	return diffs, nil
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
	s, err := strconv.ParseFloat(size, 64)
	if err != nil {
		return nil, fmt.Errorf("cell %q: %w", cell, err)
	}
	row := *r
	row.Format = format
	return Build(&row, s, Pinned), nil
}

var summaryRE = regexp.MustCompile(`^([0-9,]+) lines, ([0-9,]+) parsed, 0 skipped .*; format (\S+) \(detected\)$`)

// parsedLines checks that replay read every line of res's log, in format
// f detected as itself, and returns how many it parsed.
func parsedLines(f string, res *Result) (int, error) {
	m := summaryRE.FindStringSubmatch(res.Summary())
	if m == nil || m[1] != m[2] || m[3] != f {
		return 0, fmt.Errorf("%s: replay read %q, want every line parsed, the format detected as %s", f, res.Summary(), f)
	}
	return strconv.Atoi(strings.ReplaceAll(m[2], ",", ""))
}

// alertLine is an alert as Parity compares it.
func alertLine(a *Alert) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s %s value=%g threshold=%g", a.Time.UTC().Format(time.RFC3339Nano), a.Rule, a.State, a.Severity, a.Value, a.Threshold)
	for _, k := range a.Keys {
		fmt.Fprintf(&b, " %s=%g", k.Key, k.Count)
	}
	return b.String()
}

// diffAlerts returns the alerts of want and got that differ, or "" when
// the two are the same.
func diffAlerts(want, got []Alert) string {
	var w, g []string
	for i := range want {
		w = append(w, alertLine(&want[i]))
	}
	for i := range got {
		g = append(g, alertLine(&got[i]))
	}
	ws, gs := strings.Join(w, "\n"), strings.Join(g, "\n")
	if ws == gs {
		return ""
	}
	if d := Diff(ws+"\n", gs+"\n"); d != "" {
		return d
	}
	// The same lines in another order, or repeated.
	return "-" + strings.Join(w, "\n-") + "\n+" + strings.Join(g, "\n+") + "\n"
}
