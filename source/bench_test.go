package source

import (
	"bufio"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/internal/benchlog"
	"github.com/sentinel-dev/sentinel/parsers"
)

// benchLines is the size of the benchmark log: 1M lines, as in issue #2.
const benchLines = 1_000_000

var (
	benchOnce sync.Once
	benchPath string
	benchErr  error
)

// benchFile writes the 1M-line synthetic combined log once per process.
func benchFile(b *testing.B) string {
	b.Helper()
	benchOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sentinel-bench")
		if err != nil {
			benchErr = err
			return
		}
		benchPath = filepath.Join(dir, "access.log")
		f, err := os.Create(benchPath)
		if err != nil {
			benchErr = err
			return
		}
		defer f.Close()
		benchErr = benchlog.Write(f, benchLines, 500, 1)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchPath
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
	p := benchFile(b)
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
// parse, and run the embedded default rules.
func BenchmarkReplay(b *testing.B) {
	p := benchFile(b)
	cfg := config.Default()
	b.SetBytes(fileSize(b, p))
	b.ReportAllocs()
	var lines int64
	for b.Loop() {
		eng, err := detector.NewEngine(cfg.Rules, cfg.EngineOptions())
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
