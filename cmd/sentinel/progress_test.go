package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"
	"unicode/utf8"

	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/internal/benchlog"
	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/parsers"
	"github.com/sentinel-dev/sentinel/replay"
	"github.com/sentinel-dev/sentinel/report"
	"github.com/sentinel-dev/sentinel/source"
)

// TestProgressBar_line reads a real file into the bar's counters and
// renders it at a fixed time.
func TestProgressBar_line(t *testing.T) {
	p := filepath.Join(t.TempDir(), "access.log")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := benchlog.Write(f, 1000, 100, 1, benchlog.Sessions); err != nil {
		t.Fatal(err)
	}
	f.Close()
	fi, _ := os.Stat(p)
	start := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	bar := &progressBar{total: 2 * fi.Size(), start: start} // half read
	if _, err := source.Read(p, source.Options{Progress: &bar.progress}, func(*parsers.Event) {}); err != nil {
		t.Fatal(err)
	}
	got := bar.line(start.Add(2 * time.Second))
	want := "████████░░░░░░░░  50% 1,000 lines 500/s 0.2/0.4 MB ETA 2s"
	if got != want {
		t.Errorf("line() = %q\nwant     %q", got, want)
	}
	// A big input late in a slow replay still fits 80 columns: a line that
	// wraps leaves a copy behind at every redraw.
	big := &progressBar{total: 999_999_999_999, start: start}
	if long := big.render(500_000_000_000, 99_999_999, start.Add(1000*time.Second)); utf8.RuneCountInString(long) > 79 {
		t.Errorf("line() = %q: %d columns, more than an 80-column terminal holds", long, utf8.RuneCountInString(long))
	}
}

// TestNewProgressBar_notTerminal: no bar when stderr is a buffer, a file
// or a pipe, whatever the input's size.
func TestNewProgressBar_notTerminal(t *testing.T) {
	big := filepath.Join(t.TempDir(), "big.log")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x\n"), progressMinBytes), 0o644); err != nil {
		t.Fatal(err)
	}
	in := []replay.Input{{Path: big}}
	file, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for name, stderr := range map[string]io.Writer{"buffer": &bytes.Buffer{}, "file": file, "pipe": w} {
		if bar := newProgressBar(stderr, in); bar != nil {
			bar.stop()
			t.Errorf("%s: a progress bar, want none", name)
		}
	}
}

func TestProgressTotal(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.log"), filepath.Join(dir, "b.log.gz")
	os.WriteFile(a, make([]byte, 3000), 0o644)
	os.WriteFile(b, make([]byte, 500), 0o644)
	in := []replay.Input{{Path: a}, {Path: "-"}, {Path: b}, {Path: filepath.Join(dir, "missing.log")}, {Path: dir}}
	if got := progressTotal(in); got != 3500 {
		t.Errorf("progressTotal() = %d, want 3500 (the two files; not stdin, a missing file or a directory)", got)
	}
}

// TestProgressBar_redraws: the bar is redrawn every progressEvery (four
// times a second) until stopped, then its line is cleared. On synctest's
// fake clock.
func TestProgressBar_redraws(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out testutil.SyncBuffer
		bar := startProgressBar(&out, 100, time.Now, progressEvery)
		time.Sleep(time.Second + progressEvery/2)
		synctest.Wait()
		bar.stop()
		bar.stop()                                         // twice is fine
		draws := strings.Count(out.String(), "\x1b[K") - 1 // the last clears the line
		if draws != 4 {
			t.Errorf("%d redraws in 1.125 s, want 4", draws)
		}
		if !strings.HasSuffix(out.String(), "\r\x1b[K") {
			t.Errorf("the bar's line is not cleared at the end: %q", out.String())
		}
	})
}

// bigSessionsLog writes ordinary traffic of about 6 MB, past the progress
// bar's 4 MB, and returns its path.
func bigSessionsLog(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "big.log")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := benchlog.Write(f, 30_000, 500, 1, benchlog.Sessions); err != nil { // ~6 MB
		t.Fatal(err)
	}
	f.Close()
	return p
}

// TestReplay_noProgressWhenPiped: replay's stderr in tests is a buffer,
// so a text replay of a large input prints nothing there.
func TestReplay_noProgressWhenPiped(t *testing.T) {
	p := bigSessionsLog(t)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"replay", "-q", p}, strings.NewReader(""), &stdout, &stderr); code != exitOK || stderr.Len() != 0 {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", code, stderr.String())
	}
}

// benchLogs holds the 5M-line sessions log of the progress benchmark,
// written once per process and removed by TestMain.
var benchLogs benchlog.Files

func bench5MFile(b *testing.B) string {
	b.Helper()
	p, err := benchLogs.Path(5_000_000, 500, benchlog.Sessions)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// gapWriter records the longest time between writes (and from its start
// to the first): how stale the bar ever was.
type gapWriter struct {
	last   time.Time
	maxGap time.Duration
	writes int
}

func (g *gapWriter) Write(p []byte) (int, error) {
	now := time.Now()
	g.maxGap = max(g.maxGap, now.Sub(g.last))
	g.last = now
	g.writes++
	return len(p), nil
}

// BenchmarkReplayProgress replays a 5M-line log as text replay does (the
// default rules, sparkline tracing), without and with the progress bar
// drawing to a discarding writer: the bar's cost is the ratio of the two
// lines/s, and max-gap-s the longest the bar went without a redraw.
//
//	go test ./cmd/sentinel -run '^$' -bench ReplayProgress -benchtime 3x -count 6 -cpu 1
func BenchmarkReplayProgress(b *testing.B) {
	p := bench5MFile(b)
	fi, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
	cfg := config.Default()
	for _, withBar := range []bool{false, true} {
		name := "off"
		if withBar {
			name = "on"
		}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(fi.Size())
			b.ReportAllocs()
			var lines int64
			var maxGap time.Duration
			var draws int
			for b.Loop() {
				opts := cfg.EngineOptions()
				sparks := &report.Sparks{}
				opts.Trace, opts.TraceValuesOnly = sparks.Observe, true
				eng, err := detector.NewEngine(cfg.Rules, opts)
				if err != nil {
					b.Fatal(err)
				}
				var bar *progressBar
				g := &gapWriter{}
				if withBar {
					g.last = time.Now()
					bar = startProgressBar(g, fi.Size(), time.Now, progressEvery)
				}
				var fo replay.FeedOptions
				if bar != nil {
					fo.Progress = &bar.progress
				}
				stats, err := replay.Feed(context.Background(), eng, []replay.Input{{Path: p}}, fo)
				eng.Flush()
				bar.stop()
				if err != nil {
					b.Fatal(err)
				}
				if withBar {
					maxGap = max(maxGap, time.Since(g.last), g.maxGap)
					draws += g.writes
				}
				lines += stats[0].Lines
			}
			b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
			if withBar {
				b.ReportMetric(maxGap.Seconds(), "max-gap-s")
				b.ReportMetric(float64(draws)/b.Elapsed().Seconds(), "draws/s")
			}
		})
	}
}
