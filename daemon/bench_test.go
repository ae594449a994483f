package daemon

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/benchlog"
)

// BenchmarkDaemon_follow is the live path's throughput: a daemon with the
// default rules reads a 200,000-line file of browsing sessions (written at
// 100,000 lines/s of log time) from its start, through the tailer, the
// format detection, the parser and the engine, to its last event. It
// reports lines/s of the whole read; the CPU it takes is what 100,000
// lines/s of live traffic leaves to the rest of the machine.
func BenchmarkDaemon_follow(b *testing.B) {
	const lines = 200_000
	dir := b.TempDir()
	path := filepath.Join(dir, "access.log")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	if err := benchlog.Write(w, lines, 100_000, 1, benchlog.Sessions); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		d, stop := start(b, Options{Sources: []Source{{Pattern: path, Format: "auto"}}, FromStart: true,
			StateDir: filepath.Join(dir, "state", string(rune('a'+i%26))+time.Now().Format("150405.000000000"))})
		for d.Events() < lines {
			time.Sleep(time.Millisecond)
		}
		stop()
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
}
