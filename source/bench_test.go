package source

import (
	"bufio"
	"io"
	"os"
	"runtime"
	"testing"

	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/internal/benchlog"
	"github.com/sentinel-dev/sentinel/parsers"
)

// benchLines is the size of the benchmark log: 1M lines, as in issue #2.
const benchLines = 1_000_000

// benchLogs are the benchmarks' 1M-line synthetic combined logs,
// written once per process and removed by TestMain.
var benchLogs benchlog.Files

// TestMain runs the tests and benchmarks, then removes the logs the
// benchmarks wrote (200 MB each).
func TestMain(m *testing.M) {
	code := m.Run()
	benchLogs.Remove()
	os.Exit(code)
}

// benchFile returns the path of the log of the given mode.
func benchFile(b *testing.B, mode benchlog.Mode) string {
	b.Helper()
	rate := 500
	if mode == benchlog.Flood {
		rate = 2000
	}
	p, err := benchLogs.Path(benchLines, rate, mode)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

func fileSize(b *testing.B, p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		b.Fatal(err)
	}
	return fi.Size()
}

// BenchmarkLineCounter is the yardstick: a plain bufio line counter over
// the same file.
func BenchmarkLineCounter(b *testing.B) {
	p := benchFile(b, benchlog.Sessions)
	b.SetBytes(fileSize(b, p))
	b.ReportAllocs()
	var lines int
	for b.Loop() {
		f, err := os.Open(p)
		if err != nil {
			b.Fatal(err)
		}
		br := bufio.NewReaderSize(f, 64<<10)
		for {
			chunk, err := br.ReadSlice('\n')
			if len(chunk) > 0 && chunk[len(chunk)-1] == '\n' {
				lines++
			}
			if err == io.EOF {
				break
			}
			if err != nil && err != bufio.ErrBufferFull {
				b.Fatal(err)
			}
		}
		f.Close()
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}

// BenchmarkReplay is the whole replay path: read, detect the format,
// parse, and run the embedded default rules, on browsing sessions (the
// yardstick's file) and on lines from random clients (the worst case for
// per-client counting).
func BenchmarkReplay(b *testing.B) {
	b.Run("sessions", func(b *testing.B) { benchmarkReplay(b, benchFile(b, benchlog.Sessions)) })
	b.Run("uniform", func(b *testing.B) { benchmarkReplay(b, benchFile(b, benchlog.Uniform)) })
	b.Run("flood", func(b *testing.B) { benchmarkReplay(b, benchFile(b, benchlog.Flood)) })
}

func benchmarkReplay(b *testing.B, p string) {
	benchmarkReplayRules(b, p, config.Default().Rules)
}

// BenchmarkReplayWithout replays the sessions and the flood logs with the
// default rules less one, for each rule; "all" keeps every rule. A rule's
// time under "all"'s is what it costs a replay (docs/benchmarks.md, "What
// each default rule costs"). Run it at -cpu 1, with -count: the figures
// are a few percent apart.
func BenchmarkReplayWithout(b *testing.B) {
	rules := config.Default().Rules
	for _, m := range []struct {
		name string
		mode benchlog.Mode
	}{{"sessions", benchlog.Sessions}, {"flood", benchlog.Flood}} {
		for i := -1; i < len(rules); i++ {
			name, kept := "all", rules
			if i >= 0 {
				name, kept = rules[i].Name, append(rules[:i:i], rules[i+1:]...)
			}
			b.Run(m.name+"/"+name, func(b *testing.B) { benchmarkReplayRules(b, benchFile(b, m.mode), kept) })
		}
	}
}

func benchmarkReplayRules(b *testing.B, p string, rules []detector.Rule) {
	cfg := config.Default()
	b.SetBytes(fileSize(b, p))
	b.ReportAllocs()
	var lines int64
	for b.Loop() {
		eng, err := detector.NewEngine(rules, cfg.EngineOptions())
		if err != nil {
			b.Fatal(err)
		}
		st, err := Read(p, Options{}, func(ev *parsers.Event) { eng.Observe(ev) })
		if err != nil {
			b.Fatal(err)
		}
		eng.Flush()
		lines += st.Lines
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}

// replayPeakHeap replays p with the default rules and returns the
// highest heap in use seen, sampled every 50,000 events.
func replayPeakHeap(tb testing.TB, p string) (peak uint64, events int64) {
	tb.Helper()
	cfg := config.Default()
	eng, err := detector.NewEngine(cfg.Rules, cfg.EngineOptions())
	if err != nil {
		tb.Fatal(err)
	}
	var ms runtime.MemStats
	sample := func() {
		runtime.ReadMemStats(&ms)
		peak = max(peak, ms.HeapInuse)
	}
	st, err := Read(p, Options{}, func(ev *parsers.Event) {
		if events++; events%50_000 == 0 {
			sample()
		}
		eng.Observe(ev)
	})
	if err != nil {
		tb.Fatal(err)
	}
	eng.Flush()
	sample()
	return peak, st.Events
}

// BenchmarkReplayPeakHeap reports the peak heap of a replay of a flood
// from 1,000,000 distinct addresses (issue #3's memory test).
func BenchmarkReplayPeakHeap(b *testing.B) {
	p := benchFile(b, benchlog.Flood)
	var peak uint64
	for b.Loop() {
		runtime.GC()
		p, _ := replayPeakHeap(b, p)
		peak = max(peak, p)
	}
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
}

// BenchmarkRead is reading and parsing alone, with no rules: the share
// of a replay that a parsing stage on another core can take off the
// engine's (docs/benchmarks.md, "Two cores").
func BenchmarkRead(b *testing.B) {
	b.Run("sessions", func(b *testing.B) { benchmarkRead(b, benchFile(b, benchlog.Sessions)) })
	b.Run("flood", func(b *testing.B) { benchmarkRead(b, benchFile(b, benchlog.Flood)) })
}

func benchmarkRead(b *testing.B, p string) {
	b.SetBytes(fileSize(b, p))
	b.ReportAllocs()
	var lines int64
	for b.Loop() {
		st, err := Read(p, Options{}, func(*parsers.Event) {})
		if err != nil {
			b.Fatal(err)
		}
		lines += st.Lines
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}
