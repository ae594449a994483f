package scenario

import (
	"bytes"
	"context"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/parsers"
)

// parityTestCells are the cells of ParityCells that go test replays in
// every format (about 6 s of CPU, to keep the README's test command near
// two minutes): a flood of addresses (the sign-up rules, per-client
// counts) and an outage (5xx). samplegen -matrix parity, in .ci/run,
// replays them all.
var parityTestCells = []string{"signup-flood@0.2", "outage@0.2"}

// paritySubset returns short for a -short or race run, saying so, else
// all. The generator under the race detector is several times slower,
// and the race pass has its own budget; the run without -short covers
// the rest.
func paritySubset(t *testing.T, all, short []string) []string {
	if raceEnabled || testing.Short() {
		t.Logf("-short or race: %d cells of %d (%s)", len(short), len(all), strings.Join(short, ", "))
		return short
	}
	return all
}

// TestFormats_parity: the same traffic gives the same alerts whatever
// the log format it is written in (see Parity), on parityTestCells.
func TestFormats_parity(t *testing.T) {
	for _, c := range parityTestCells {
		if !slices.Contains(ParityCells, c) {
			t.Errorf("%s is not one of ParityCells, which samplegen -parity runs", c)
		}
	}
	bin := sentinelBinary(t)
	cells := paritySubset(t, parityTestCells, []string{"signup-flood@0.2"})
	start := time.Now()
	diffs, err := Parity(context.Background(), &Replayer{Binary: bin}, cells, runtime.NumCPU())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d cells in %d formats in %v", len(cells), 1+len(ParityFormats), time.Since(start).Round(time.Millisecond))
	for _, d := range diffs {
		t.Error(d)
	}
}

// TestParity_compares: what Parity compares tells the differences it
// must report from the same alerts, and a log read whole in its format
// from one that is not.
func TestParity_compares(t *testing.T) {
	a := []Alert{{Rule: "signup-burst", State: "firing", Time: day, Severity: "critical", Value: 2, Threshold: 1}}
	later := slices.Clone(a)
	later[0].Time = day.Add(time.Second)
	keyed := slices.Clone(a)
	keyed[0].Keys = append(keyed[0].Keys, struct {
		Key   string  `json:"key"`
		Count float64 `json:"count"`
	}{"203.0.113.9", 3})
	if d := diffAlerts(a, slices.Clone(a)); d != "" {
		t.Errorf("diffAlerts of the same alerts = %q, want none", d)
	}
	for name, b := range map[string][]Alert{"a second later": later, "with a key": keyed, "none": nil, "twice": append(slices.Clone(a), a...)} {
		if diffAlerts(a, b) == "" {
			t.Errorf("diffAlerts misses an alert %s", name)
		}
	}
	for _, sum := range []string{
		"10 lines, 9 parsed, 0 skipped (0 malformed, 0 too long), 1 ignored; format caddy (detected)",
		"10 lines, 10 parsed, 0 skipped (0 malformed, 0 too long), 0 ignored; format slog_json (detected)",
		"10 lines, 9 parsed, 1 skipped (1 malformed, 0 too long), 0 ignored; format caddy (detected)",
		"10 lines, 10 parsed, 0 skipped (0 malformed, 0 too long), 0 ignored; format caddy",
	} {
		res := &Result{input: "x.log", Stderr: "  x.log: " + sum}
		if _, err := parsedLines(FormatCaddy, res); err == nil {
			t.Errorf("parsedLines(caddy, %q) = nil, want an error", sum)
		}
	}
	res := &Result{input: "x.log", Stderr: "  x.log: 1,210 lines, 1,210 parsed, 0 skipped (0 malformed, 0 too long), 0 ignored; format caddy (detected)"}
	if n, err := parsedLines(FormatCaddy, res); n != 1210 || err != nil {
		t.Errorf("parsedLines(caddy, …) = %d, %v, want 1210", n, err)
	}
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
