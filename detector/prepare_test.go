package detector_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/internal/testutil"
	"github.com/sentinel-dev/sentinel/parsers"
	"github.com/sentinel-dev/sentinel/source"
)

// coldRules add to the defaults rules whose match reads the cold field
// (state: the client's earlier requests) or program_client (its earlier
// user agents), in a shared matcher and under
// any and not, which a Preparer must leave to the engine, beside rules
// that match on the event alone: keyless rules on one shared block (a
// shared count whose rest is that block, stateful or not), and an
// evidence share that reads cold.
const coldRules = `matchers:
  cold-posts: {method: POST, cold: true}
rules:
  - name: cold-posters
    match: cold-posts
    detector: {type: rate, window: 10s, threshold: 0.5/s}
    group_by: client_ip
  - name: signup-or-warm-post
    match:
      method: POST
      any:
        - matcher: signup-posts
        - not: {cold: true}
    detector: {type: rate, window: 10s, threshold: 0.3/s}
    group_by: client_ip
  - name: failed-posts
    match: {method: POST, status: 200-299}
    detector: {type: distinct, field: client_ip, window: 10s, threshold: 3}
  - name: cold-posts-all
    match: cold-posts
    detector: {type: rate, window: 10s, threshold: 0.5/s}
  - name: cold-posts-all-2
    match: cold-posts
    detector: {type: rate, window: 30s, threshold: 0.2/s}
  - name: signups-all
    match: signup-posts
    detector: {type: rate, window: 10s, threshold: 0.5/s}
  - name: cold-share
    match: {method: POST}
    critical_when: {share: {of: {method: POST, cold: true}, at_least: 10%}}
    detector: {type: rate, window: 1m, threshold: 1/s}
  - name: program-requests
    match: {program_client: true}
    detector: {type: rate, window: 10s, threshold: 5/s}
`

// TestPreparer_sameAsEngine replays every sample with the default rules
// and coldRules twice: events observed as they are, and events a
// Preparer matched first. Every alert, evaluation, notice and count must
// be the same. Then the same with 60 rules before coldRules, which puts
// them past the 64 that the engine's gate masks (and a Preparer) hold.
func TestPreparer_sameAsEngine(t *testing.T) {
	logs, _ := filepath.Glob("../samples/*.log")
	if len(logs) == 0 {
		t.Fatal("no samples/*.log")
	}
	testutil.LongOneGoroutine(t) // the staged pipeline's race test is replay's TestFeed_stagesSameOutput
	attacks := []string{"../samples/signup-flood.log", "../samples/credential-stuffing.log", "../samples/5xx-storm.log"}
	t.Run("defaults", func(t *testing.T) { samePrepared(t, coldRules, logs) })
	var filler strings.Builder
	for i := range 60 {
		fmt.Fprintf(&filler, "  - name: filler-%d\n    match: {path: /filler/%d}\n    detector: {type: rate, window: 10s, threshold: 1/s}\n", i, i)
	}
	past64 := strings.Replace(coldRules, "rules:\n", "rules:\n"+filler.String(), 1)
	t.Run("past-64-rules", func(t *testing.T) { samePrepared(t, past64, attacks) })
}

// samePrepared replays logs with the defaults and the rules of yaml,
// observed and prepared, and fails t where the two differ or where a
// rule of coldRules counted nothing.
func samePrepared(t *testing.T, yaml string, logs []string) {
	cfg, err := config.Parse("cold.yaml", []byte(yaml), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	run := func(t *testing.T, path string, prepared bool) (string, detector.Stats) {
		var out strings.Builder
		opts := cfg.EngineOptions()
		opts.Emit = func(a alert.Alert) {
			b, _ := json.Marshal(a)
			fmt.Fprintf(&out, "%s\n", b)
		}
		// Every rule's value at every step (the values only: a day of
		// full evaluations takes seconds to write).
		opts.Trace = func(ev detector.Evaluation) {
			fmt.Fprintf(&out, "%s %d %g %d\n", ev.Rule, ev.Time.Unix(), ev.Value, ev.Count)
		}
		opts.TraceValuesOnly = true
		opts.Notice = func(n detector.Notice) { fmt.Fprintf(&out, "notice %+v\n", n) }
		eng, err := detector.NewEngine(cfg.Rules, opts)
		if err != nil {
			t.Fatal(err)
		}
		observe := eng.Observe
		if prepared {
			p := eng.NewPreparer()
			var pp detector.Prepared
			observe = func(ev *parsers.Event) {
				p.Prepare(ev, &pp)
				eng.ObservePrepared(ev, &pp)
			}
		}
		if _, err := source.Read(path, source.Options{}, observe); err != nil {
			t.Fatal(err)
		}
		eng.Flush()
		st := eng.Stats()
		fmt.Fprintf(&out, "%+v\n", st)
		return out.String(), st
	}
	matched := map[string]uint64{}
	for _, p := range logs {
		t.Run(filepath.Base(p), func(t *testing.T) {
			plain, st := run(t, p, false)
			prep, _ := run(t, p, true)
			for _, r := range st.Rules {
				matched[r.Name] += r.Matched
			}
			if plain != prep {
				pl, ql := strings.Split(plain, "\n"), strings.Split(prep, "\n")
				for i := range min(len(pl), len(ql)) {
					if pl[i] != ql[i] {
						t.Fatalf("first difference at line %d:\n observed: %s\n prepared: %s", i+1, pl[i], ql[i])
					}
				}
				t.Fatalf("transcripts differ in length: %d and %d lines", len(pl), len(ql))
			}
		})
	}
	// Each kind of match was tried: pure, stateful, and both in one rule.
	for _, name := range []string{"signup-burst", "login-failure-burst", "signup-drip", "cold-posters", "signup-or-warm-post",
		"failed-posts", "cold-posts-all", "cold-posts-all-2", "signups-all", "cold-share", "program-requests"} {
		if matched[name] == 0 {
			t.Errorf("rule %s counted no event in the samples: the comparison proves nothing for it", name)
		}
	}
}
