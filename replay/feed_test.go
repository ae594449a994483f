package replay

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/internal/benchlog"
	"github.com/sentinel-dev/sentinel/parsers"
	"github.com/sentinel-dev/sentinel/source"
)

// flappingRules add to the defaults rules with low thresholds and short
// windows, so that ordinary traffic makes them fire and resolve all the
// time: many alerts, each with keys, to compare.
const flappingRules = `rules:
  - name: busy
    detector: {type: rate, window: 10s, threshold: 3/s}
    group_by: client_ip
  - name: posts
    match: {method: POST}
    detector: {type: rate, window: 5s, threshold: 0.4/s}
    group_by: client_ip
    distinct: client_ip
  - name: clients
    detector: {type: distinct, field: client_ip, window: 10s, threshold: 12}
  - name: agents
    match: {status: 200-299}
    detector: {type: rate, window: 3s, threshold: 1/s}
    group_by: user_agent
`

// testInputs are every sample (combined and Phoenix, whose requests span
// two lines), a missing file and an attack from internal/benchlog,
// gzip-compressed, in one replay (under -race, two samples and a
// shorter attack).
func testInputs(tb testing.TB) []Input {
	tb.Helper()
	samples, err := filepath.Glob("../samples/*.log")
	if err != nil || len(samples) < 5 {
		tb.Fatalf("samples: %v, %v", samples, err)
	}
	attackLines := 20_000
	if raceEnabled { // one combined sample and the Phoenix one (two-line requests)
		samples, attackLines = []string{"../samples/signup-flood.log", "../samples/signup-flood-phoenix.log"}, 5_000
	}
	dir := tb.TempDir()
	var attack bytes.Buffer
	if err := benchlog.Write(&attack, attackLines, 500, 1, benchlog.Attack); err != nil {
		tb.Fatal(err)
	}
	gz := filepath.Join(dir, "attack.log.gz")
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write(attack.Bytes())
	zw.Close()
	if err := os.WriteFile(gz, zb.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	var inputs []Input
	for _, p := range samples {
		inputs = append(inputs, Input{Path: p})
	}
	inputs = append(inputs, Input{Path: filepath.Join(dir, "missing.log")}, Input{Path: gz})
	return inputs
}

// countingEngine counts the events it observes, prepared or not.
type countingEngine struct {
	*detector.Engine
	plain, prepared int
}

func (c *countingEngine) Observe(ev *parsers.Event) {
	c.plain++
	c.Engine.Observe(ev)
}

func (c *countingEngine) ObservePrepared(ev *parsers.Event, p *detector.Prepared) {
	c.prepared++
	c.Engine.ObservePrepared(ev, p)
}

// transcript replays inputs with the given feed options and returns
// everything the engine told: each alert as JSON and as text, each
// evaluation with its keys, each notice, the stats and the error; and
// how many events the engine observed as they were, and prepared. The
// text of the record's lines show[0] up to show[1] is kept (see record).
func transcript(tb testing.TB, inputs []Input, feed FeedOptions, show ...int) (*record, []*source.Stats, string, [2]int) {
	tb.Helper()
	cfg, err := config.Parse("flapping.yaml", []byte(flappingRules), func(string) (string, bool) { return "", false })
	if err != nil {
		tb.Fatal(err)
	}
	rec := &record{}
	switch len(show) {
	case 0:
	case 2:
		rec.from, rec.to = show[0], show[1]
	default:
		tb.Fatalf("transcript: show %v, want from and to", show)
	}
	out := &lineWriter{line: rec.add}
	js, text := alerts.NewConsole(out, alerts.JSON), alerts.NewConsole(out, alerts.Text)
	opts := cfg.EngineOptions()
	opts.Emit = func(a alert.Alert) {
		js.Notify(context.Background(), a)
		text.Notify(context.Background(), a)
	}
	var line []byte
	opts.Trace = func(ev detector.Evaluation) {
		line = appendEvaluation(line[:0], ev)
		rec.add(line)
	}
	opts.Notice = func(n detector.Notice) { fmt.Fprintf(out, "notice %+v\n", n) }
	eng, err := detector.NewEngine(cfg.Rules, opts)
	if err != nil {
		tb.Fatal(err)
	}
	obs := &countingEngine{Engine: eng}
	stats, err := Feed(context.Background(), obs, inputs, feed)
	eng.Flush()
	fmt.Fprintf(out, "%+v\n", eng.Stats())
	if len(out.part) > 0 {
		tb.Fatalf("transcript: an unended line %q", out.part)
	}
	return rec, stats, fmt.Sprint(err), [2]int{obs.plain, obs.prepared}
}

// A record is a transcript: a hash of each line, and the text of the
// lines from up to to. A replay of every sample writes 2 million lines
// (200 MB) of evaluations: kept as text, growing and comparing them took
// half of TestFeed_stagesSameOutput's time. Where two records differ,
// the replays are run again keeping the lines around the first
// difference (sameTranscript).
type record struct {
	sums     []uint64
	firing   int // lines of an alert firing, as JSON
	from, to int
	text     []string
}

// lineSeed hashes every record's lines alike in this process.
var lineSeed = maphash.MakeSeed()

func (r *record) add(line []byte) {
	if i := len(r.sums); i >= r.from && i < r.to {
		r.text = append(r.text, fmt.Sprintf("%d: %s", i+1, bytes.TrimSuffix(line, []byte("\n"))))
	}
	r.sums = append(r.sums, maphash.Bytes(lineSeed, line))
	if bytes.Contains(line, []byte(`"state":"firing"`)) {
		r.firing++
	}
}

// A lineWriter passes each whole line written to it to line.
type lineWriter struct {
	part []byte
	line func([]byte)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.part = append(w.part, p...)
			break
		}
		w.part = append(w.part, p[:i+1]...)
		w.line(w.part)
		w.part, p = w.part[:0], p[i+1:]
	}
	return n, nil
}

// appendEvaluation appends every field of ev and a newline to b: what
// fmt's %+v would show (floats to the bit, times to the nanosecond, with
// their zone), without its reflection, which took two thirds of
// TestFeed_stagesSameOutput's time.
func appendEvaluation(b []byte, ev detector.Evaluation) []byte {
	b = append(b, ev.Rule...)
	b = append(b, ' ')
	b = ev.Time.AppendFormat(b, time.RFC3339Nano)
	for _, f := range [...]float64{ev.Value, ev.Threshold, ev.Baseline, ev.Spread} {
		b = append(b, ' ')
		b = strconv.AppendFloat(b, f, 'g', -1, 64)
	}
	b = append(b, ' ')
	b = append(b, ev.Unit...)
	b = append(b, ' ')
	b = strconv.AppendBool(b, ev.Down)
	b = append(b, ' ')
	b = strconv.AppendUint(b, ev.Count, 10)
	b = append(b, ' ')
	b = append(b, ev.State...)
	b = append(b, ' ')
	b = strconv.AppendQuote(b, ev.Why)
	for _, k := range ev.Keys {
		b = append(b, ' ')
		b = strconv.AppendQuote(b, k.Key)
		b = append(b, '=')
		b = strconv.AppendUint(b, k.Count, 10)
		b = append(b, '/')
		b = strconv.AppendUint(b, k.Error, 10)
	}
	return append(b, '\n')
}

// TestFeed_stagesSameOutput replays the same inputs with parsing inline
// and on a second goroutine, with the events matched there (prepared) for
// every batch, none, or those the engine is behind on: every alert,
// evaluation, notice and count must be the same, byte for byte. CI runs
// it with -race.
func TestFeed_stagesSameOutput(t *testing.T) {
	inputs := testInputs(t)
	one, oneStats, oneErr, _ := transcript(t, inputs, FeedOptions{Stages: OneStage})
	if n := one.firing; n < 50 {
		t.Fatalf("%d alerts fired: too few to compare", n)
	}
	if !strings.Contains(oneErr, "missing.log") {
		t.Errorf("error = %s, want the missing file named", oneErr)
	}
	for _, c := range []struct {
		name    string
		prepare preparing
	}{{"prepare-when-behind", prepareWhenBehind}, {"prepare-always", prepareAlways}, {"prepare-never", prepareNever}} {
		t.Run(c.name, func(t *testing.T) {
			feed := FeedOptions{Stages: TwoStages, prepare: c.prepare}
			two, twoStats, twoErr, n := transcript(t, inputs, feed)
			switch {
			case n[0]+n[1] == 0:
				t.Errorf("no event observed")
			case c.prepare == prepareAlways && n[0] > 0:
				t.Errorf("%d of %d events observed unprepared", n[0], n[0]+n[1])
			case c.prepare == prepareNever && n[1] > 0:
				t.Errorf("%d of %d events observed prepared", n[1], n[0]+n[1])
			}
			sameTranscript(t, one, two, func(from, to int) (*record, *record) {
				one, _, _, _ := transcript(t, inputs, FeedOptions{Stages: OneStage}, from, to)
				two, _, _, _ := transcript(t, inputs, feed, from, to)
				return one, two
			})
			sameOutcome(t, oneStats, twoStats, oneErr, twoErr)
		})
	}
}

// sameTranscript fails t where two transcripts differ (one and two
// stages, or a whole log and its parts), showing the lines around the
// first difference from the records again returns (the same replays,
// keeping those lines).
func sameTranscript(t *testing.T, one, two *record, again func(from, to int) (*record, *record)) {
	t.Helper()
	if slices.Equal(one.sums, two.sums) {
		return
	}
	i := 0
	for i < min(len(one.sums), len(two.sums)) && one.sums[i] == two.sums[i] {
		i++
	}
	a, b := again(max(0, i-3), i+3)
	rerun := ""
	if slices.Equal(a.sums, b.sums) {
		rerun = " (run again, they did not differ: the lines below are the same)"
	}
	t.Errorf("transcripts differ (%d and %d lines), first at line %d%s:\n one:\n  %s\n two:\n  %s",
		len(one.sums), len(two.sums), i+1, rerun, strings.Join(a.text, "\n  "), strings.Join(b.text, "\n  "))
}

// sameOutcome fails t where two replays' stats or errors differ.
func sameOutcome(t *testing.T, oneStats, twoStats []*source.Stats, oneErr, twoErr string) {
	t.Helper()
	if diff := cmp.Diff(oneStats, twoStats); diff != "" {
		t.Errorf("stats differ (-one +two):\n%s", diff)
	}
	if oneErr != twoErr {
		t.Errorf("errors differ: %s, %s", oneErr, twoErr)
	}
}

// TestFeed_preparesWhenBehind: an engine that falls behind (here, one
// that pauses now and then) gets most of its events prepared by the
// reading goroutine, by default. (That they come out the same is
// TestFeed_stagesSameOutput's.)
func TestFeed_preparesWhenBehind(t *testing.T) {
	cfg := config.Default()
	var log bytes.Buffer
	if err := benchlog.Write(&log, 20_000, 500, 1, benchlog.Attack); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "attack.log")
	if err := os.WriteFile(p, log.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	eng, err := detector.NewEngine(cfg.Rules, cfg.EngineOptions())
	if err != nil {
		t.Fatal(err)
	}
	obs := &slowEngine{countingEngine: countingEngine{Engine: eng}}
	if _, err := Feed(context.Background(), obs, []Input{{Path: p}}, FeedOptions{Stages: TwoStages}); err != nil {
		t.Fatal(err)
	}
	if obs.prepared < 15_000 || obs.plain+obs.prepared != 20_000 {
		t.Errorf("%d events observed as they were, %d prepared: want most of the 20000 prepared", obs.plain, obs.prepared)
	}
}

// slowEngine pauses 2 ms every 200 events, far slower than the reading
// goroutine.
type slowEngine struct{ countingEngine }

func (s *slowEngine) pause() {
	if (s.plain+s.prepared)%200 == 0 {
		time.Sleep(2 * time.Millisecond)
	}
}

func (s *slowEngine) Observe(ev *parsers.Event) {
	s.pause()
	s.countingEngine.Observe(ev)
}

func (s *slowEngine) ObservePrepared(ev *parsers.Event, p *detector.Prepared) {
	s.pause()
	s.countingEngine.ObservePrepared(ev, p)
}

// TestFeed_canceled stops a staged replay whose context ends: Feed
// returns, with the context's error, and leaves no goroutine sending.
func TestFeed_canceled(t *testing.T) {
	inputs := testInputs(t)
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	obs := observerFunc(func(*parsers.Event) {
		if n++; n == 1000 {
			cancel()
		}
	})
	_, err := Feed(ctx, obs, inputs, FeedOptions{Stages: TwoStages})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Feed() = %v, want context.Canceled", err)
	}
	if n >= 1000+batchEvents {
		t.Errorf("observed %d events, want fewer than %d (at most the rest of a batch after the cancel)", n, 1000+batchEvents)
	}
}

type observerFunc func(*parsers.Event)

func (f observerFunc) Observe(ev *parsers.Event) { f(ev) }

// TestBatch_add copies events out of a buffer the parser reuses, keeps
// absent fields absent, and takes a line longer than its arena alone.
func TestBatch_add(t *testing.T) {
	b := newBatch()
	line := []byte("1.2.3.4 GET /a?")
	ev := parsers.Event{ClientIP: line[:7], Method: line[8:11], Path: line[12:14], Query: line[15:15], Raw: line,
		Status: 200, Bytes: -1, Extra: []parsers.Field{{Name: "x", Value: line[:1]}}}
	if !b.add(&ev) {
		t.Fatal("add to an empty batch = false")
	}
	copy(line, "XXXXXXXXXXXXXXX") // the parser reuses its buffer
	got := b.events[0]
	if string(got.ClientIP) != "1.2.3.4" || string(got.Path) != "/a" || string(got.Raw) != "1.2.3.4 GET /a?" || string(got.Extra[0].Value) != "1" {
		t.Errorf("copy = %q %q %q %q, want the values before the buffer was reused", got.ClientIP, got.Path, got.Raw, got.Extra[0].Value)
	}
	if got.Query == nil || len(got.Query) != 0 || got.Host != nil || got.UserAgent != nil {
		t.Errorf("Query = %#v, Host = %#v: an empty field must stay empty, an absent one absent", got.Query, got.Host)
	}
	// The fields within the line are slices of the line's one copy.
	if &got.ClientIP[0] != &got.Raw[0] || &got.Path[0] != &got.Raw[12] {
		t.Error("ClientIP and Path are not slices of the copied line: the line's bytes were copied twice")
	}
	// A field the parser made outside the line (an unescaped JSON value)
	// is copied on its own.
	scratch := []byte("/b c")
	ev2 := parsers.Event{ClientIP: line[:7], Path: scratch, Raw: line}
	copy(line, "1.2.3.4 GET /a?")
	if !b.add(&ev2) {
		t.Fatal("add of a second event = false")
	}
	copy(scratch, "XXXX")
	copy(line, "XXXXXXXXXXXXXXX")
	if got := b.events[1]; string(got.Path) != "/b c" || string(got.ClientIP) != "1.2.3.4" {
		t.Errorf("copy = %q %q, want the values before their buffers were reused", got.Path, got.ClientIP)
	}

	// What the parser found about the address is kept for the copy.
	var parsed parsers.Event
	if err := parsers.NewCombined().Parse([]byte(`203.0.113.7 - - [27/Nov/2026:01:20:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`), &parsed); err != nil {
		t.Fatal(err)
	}
	if parsed.ClientNet24() == 0 {
		t.Fatal("the parser gave no ClientNet24")
	}
	if !b.add(&parsed) || b.events[b.n-1].ClientNet24() != len("203.0.113") {
		t.Errorf("ClientNet24 of the copy = %d, want %d", b.events[b.n-1].ClientNet24(), len("203.0.113"))
	}

	long := parsers.Event{Raw: bytes.Repeat([]byte("a"), 2*batchBytes)}
	if b.add(&long) {
		t.Error("a line longer than the space left went into a non-empty batch")
	}
	b.reset()
	if !b.add(&long) || len(b.events[0].Raw) != 2*batchBytes {
		t.Fatal("an empty batch refused a long line")
	}
	b.reset()
	if cap(b.arena) != batchBytes {
		t.Errorf("arena after reset = %d bytes, want %d: a long line's arena is not kept", cap(b.arena), batchBytes)
	}
	for i := range batchEvents {
		if !b.add(&ev) {
			t.Fatalf("add %d = false before the batch is full", i)
		}
	}
	if b.add(&ev) {
		t.Errorf("add past %d events = true", batchEvents)
	}
}

// benchLogs are the benchmarks' 1M-line logs, written once per process,
// by mode and rate, and removed by TestMain.
var benchLogs benchlog.Files

// TestMain runs the tests and benchmarks, then removes the logs the
// benchmarks wrote (about 200 MB each).
func TestMain(m *testing.M) {
	code := m.Run()
	benchLogs.Remove()
	os.Exit(code)
}

// benchFile is the 1M-line log of mode at 500 lines a second.
func benchFile(b *testing.B, mode benchlog.Mode) string { return benchFileAt(b, mode, 500) }

func benchFileAt(b *testing.B, mode benchlog.Mode, rate int) string {
	b.Helper()
	p, err := benchLogs.Path(1_000_000, rate, mode)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkFeed replays 1M-line synthetic logs (internal/benchlog, the
// CLI's files of docs/benchmarks.md) with the default rules, parsing
// inline (one) and on a second goroutine (two): compare one at -cpu 1
// with two at -cpu 2 ("Two cores" there).
func BenchmarkFeed(b *testing.B) {
	for _, m := range []struct {
		name string
		mode benchlog.Mode
	}{{"sessions", benchlog.Sessions}, {"attack", benchlog.Attack}, {"flood", benchlog.Flood}} {
		for _, s := range []struct {
			name   string
			stages Stages
		}{{"one", OneStage}, {"two", TwoStages}} {
			b.Run(m.name+"/"+s.name, func(b *testing.B) {
				p := benchFile(b, m.mode)
				cfg := config.Default()
				b.ReportAllocs()
				var lines int64
				for b.Loop() {
					eng, err := detector.NewEngine(cfg.Rules, cfg.EngineOptions())
					if err != nil {
						b.Fatal(err)
					}
					stats, err := Feed(context.Background(), eng, []Input{{Path: p}}, FeedOptions{Stages: s.stages})
					if err != nil {
						b.Fatal(err)
					}
					eng.Flush()
					lines += stats[0].Lines
				}
				b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
			})
		}
	}
}
