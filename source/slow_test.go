package source

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/parsers"
)

// TestRead_slowRequestsCount: an app that hangs (its database down) answers
// its requests 30 s late, with a 500. Rails and Phoenix log a request's
// start and, when it ends, its status and duration: the event must be
// stamped at the end, as nginx stamps its line. At its start it would sit
// 30 s behind the lines logged meanwhile, and the engine drops what is
// older than its skew (5 s) as late: the outage's 500s would go unseen.
// A request whose end never comes counts too, when it is given up on.
func TestRead_slowRequestsCount(t *testing.T) {
	day := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	t0 := day.Add(10 * time.Hour)
	type line struct {
		at   time.Time
		text string
	}
	build := func(start, end func(i int, at, done time.Time, status, ms int) string) string {
		var ls []line
		for i := range 600 { // 2 a second for 5 minutes; one in ten hangs 30 s
			at := t0.Add(time.Duration(i) * 500 * time.Millisecond)
			status, ms := 200, 12
			if i%10 == 0 {
				status, ms = 500, 30_000
			}
			done := at.Add(time.Duration(ms) * time.Millisecond)
			ls = append(ls, line{at, start(i, at, done, status, ms)})
			if i != 590 { // the last hanging one never ends: the input stops
				ls = append(ls, line{done, end(i, at, done, status, ms)})
			}
		}
		slices.SortStableFunc(ls, func(a, b line) int { return a.at.Compare(b.at) })
		var b strings.Builder
		for _, l := range ls {
			b.WriteString(l.text + "\n")
		}
		return b.String()
	}
	rails := build(func(i int, at, _ time.Time, _, _ int) string {
		return fmt.Sprintf(`I, [%s #4]  INFO -- : [req-%08d-aaaa-bbbb] Started GET "/orders/%d" for 203.0.113.%d at %s +0000`,
			at.Format("2006-01-02T15:04:05.000000"), i, i, i%200, at.Format(time.DateTime))
	}, func(i int, _, done time.Time, status, ms int) string {
		return fmt.Sprintf(`I, [%s #4]  INFO -- : [req-%08d-aaaa-bbbb] Completed %d %s in %dms (ActiveRecord: 2.0ms)`,
			done.Format("2006-01-02T15:04:05.000000"), i, status, map[int]string{200: "OK", 500: "Internal Server Error"}[status], ms)
	})
	phoenix := build(func(i int, at, _ time.Time, _, _ int) string {
		return fmt.Sprintf(`%s request_id=F%019d remote_ip=203.0.113.%d [info] GET /orders/%d`, at.Format("15:04:05.000"), i, i%200, i)
	}, func(i int, _, done time.Time, status, ms int) string {
		return fmt.Sprintf(`%s request_id=F%019d [info] Sent %d in %dms`, done.Format("15:04:05.000"), i, status, ms)
	})
	for _, tt := range []struct{ name, format, log string }{{"rails", "rails", rails}, {"phoenix", "phoenix", phoenix}} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			eng, err := detector.NewEngine(cfg.Rules, cfg.EngineOptions())
			if err != nil {
				t.Fatal(err)
			}
			var fails int
			st, err := Read(writeFile(t, tt.name+".log", []byte(tt.log)), Options{Format: tt.format, Parser: parsers.Options{Date: day}},
				func(ev *parsers.Event) {
					if ev.Status == 500 {
						fails++
					}
					eng.Observe(ev)
				})
			if err != nil {
				t.Fatal(err)
			}
			eng.Flush()
			if es := eng.Stats(); es.Events != 600 || es.Late != 0 || fails != 59 {
				t.Errorf("%d events, %d late, %d answered 500 (of %d lines); want 600 events, none late, 59 500s", es.Events, es.Late, fails, st.Lines)
			}
		})
	}
}
