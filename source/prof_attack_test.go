package source

import (
	"os"
	"testing"

	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/parsers"
)

func BenchmarkTmpAttack(b *testing.B) {
	p := os.Getenv("PROF_LOG")
	cfg := config.Default()
	var lines int64
	for b.Loop() {
		eng, _ := detector.NewEngine(cfg.Rules, cfg.EngineOptions())
		st, _ := Read(p, Options{}, func(ev *parsers.Event) { eng.Observe(ev) })
		eng.Flush()
		lines += st.Lines
	}
	b.ReportMetric(float64(lines)/b.Elapsed().Seconds(), "lines/s")
}
