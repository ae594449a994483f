package detector

import (
	"fmt"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/parsers"
)

// benchEvents returns n request events at 500/s from clients of a pool.
func benchEvents(n, clients int) []parsers.Event {
	evs := make([]parsers.Event, n)
	for i := range evs {
		evs[i].Reset()
		evs[i].Time = t0.Add(time.Duration(i) * 2 * time.Millisecond)
		evs[i].ClientIP = fmt.Appendf(nil, "10.%d.%d.%d", i*7919%clients/65536, i*7919%clients/256%256, i*7919%clients%256)
		evs[i].Method, evs[i].Path, evs[i].Status = []byte("GET"), []byte("/"), 200
	}
	return evs
}

// BenchmarkEngine_Observe measures the engine per event for each kind of
// rule on its own: the cost a rule adds to every event it matches.
func BenchmarkEngine_Observe(b *testing.B) {
	ip := ipField()
	rules := map[string]Rule{
		"rate":           {Name: "r", Type: Rate, Window: time.Minute, Threshold: 1e9},
		"rate_group_by":  {Name: "r", Type: Rate, Window: time.Minute, Threshold: 1e9, GroupBy: ip},
		"per_key":        {Name: "r", Type: Rate, Window: time.Minute, Threshold: 1e9, PerKey: true, GroupBy: ip},
		"distinct":       {Name: "r", Type: Distinct, Window: time.Minute, Threshold: 1e9, Field: ip},
		"filtered_out":   {Name: "r", Type: Rate, Window: time.Minute, Threshold: 1, Match: KindIs(parsers.KindMessage)},
		"per_key_flood":  {Name: "r", Type: Rate, Window: time.Minute, Threshold: 1e9, PerKey: true, GroupBy: ip},
		"distinct_flood": {Name: "r", Type: Distinct, Window: time.Minute, Threshold: 1e9, Field: ip},
		"ratio": {Name: "r", Type: Ratio, Window: time.Minute, Threshold: 1, MinEvents: 20,
			Of: &Range{Field: LookupField("status"), Ranges: []NumRange{{Min: 500, Max: 599}}}},
		"absence":  {Name: "r", Type: Absence, Window: time.Minute},
		"baseline": {Name: "r", Type: Rate, Window: time.Minute, Baseline: &Baseline{Factor: 1e9, Warmup: time.Minute, HalfLife: time.Hour}},
		"distinct_baseline": {Name: "r", Type: Distinct, Window: time.Minute, Field: ip,
			Baseline: &Baseline{Factor: 1e9, Warmup: time.Minute, HalfLife: time.Hour}},
	}
	for _, name := range []string{"rate", "rate_group_by", "per_key", "distinct", "ratio", "absence", "baseline", "distinct_baseline",
		"filtered_out", "per_key_flood", "distinct_flood"} {
		clients := 300
		if name == "per_key_flood" || name == "distinct_flood" {
			clients = 1 << 20 // every event from a new client
		}
		evs := benchEvents(1<<16, clients)
		b.Run(name, func(b *testing.B) {
			eng, err := NewEngine([]Rule{rules[name]}, Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			i := 0
			shift := time.Duration(0)
			for b.Loop() {
				ev := &evs[i]
				ev.Time = ev.Time.Add(shift)
				eng.Observe(ev)
				ev.Time = ev.Time.Add(-shift)
				if i++; i == len(evs) {
					i, shift = 0, shift+time.Duration(len(evs))*2*time.Millisecond
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
