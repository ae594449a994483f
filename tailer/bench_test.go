package tailer

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/sentinel-dev/sentinel/internal/benchlog"
)

// BenchmarkTailer_read is the tailer's share of the live path: it reads a
// 200,000-line access log from its start and delivers every line on the
// channel the daemon takes them from. It reports lines/s.
func BenchmarkTailer_read(b *testing.B) {
	const lines = 200_000
	path := filepath.Join(b.TempDir(), "access.log")
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
	for b.Loop() {
		tl, err := New(Options{Patterns: []string{path}, Start: FromStart})
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		out := make(chan Line, 4096)
		done := make(chan error, 1)
		go func() { done <- tl.Run(ctx, out) }()
		for range lines {
			<-out
		}
		cancel()
		if err := <-done; err != nil && ctx.Err() == nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
}
