package detector

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/parsers"
)

// snapRules are one rule of each kind, with fingerprints.
func snapRules() []Rule {
	m := time.Minute
	ip := ipField()
	net := LookupField("client_net")
	return []Rule{
		{Name: "rate", Type: Rate, Window: 30 * time.Second, Threshold: 5, GroupBy: ip, DistinctOf: ip, Fingerprint: "a"},
		{Name: "perkey", Type: Rate, Window: m, Threshold: 2, PerKey: true, GroupBy: ip, Fingerprint: "b"},
		{Name: "distinct", Type: Distinct, Field: ip, Window: 5 * m, Threshold: 50, Fingerprint: "c"},
		{Name: "baseline", Type: Rate, Window: m, Baseline: &Baseline{Factor: 3, Floor: 1, Warmup: 10 * m, HalfLife: time.Hour}, Fingerprint: "d"},
		{Name: "quiet", Type: Absence, Window: 2 * m, Fingerprint: "e"},
		{Name: "perkey-learned", Type: Rate, Window: m, PerKey: true, GroupBy: ip, Fingerprint: "f",
			Baseline: &Baseline{Factor: 4, Floor: 2, Warmup: 10 * m, HalfLife: 24 * time.Hour}},
		{Name: "evidence", Type: Rate, Window: 30 * time.Second, Threshold: 5, Fingerprint: "g",
			Evidence: &Evidence{Cold: 0.5, ShareOf: &CIDR{Field: *ip, Prefixes: []netip.Prefix{netip.MustParsePrefix("198.51.0.0/16")}}, Share: 0.5}},
		{Name: "ratio-perkey", Type: Ratio, Window: m, Threshold: 0.5, MinEvents: 5, PerKey: true, GroupBy: &net, Fingerprint: "h",
			Of: &CIDR{Field: *ip, Prefixes: []netip.Prefix{netip.MustParsePrefix("203.0.113.0/24")}}},
		{Name: "ratio-site", Type: Ratio, Window: m, Threshold: 0.1, MinEvents: 5, GroupBy: ip, Fingerprint: "i",
			Of: &CIDR{Field: *ip, Prefixes: []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")}}},
	}
}

// restart snapshots first, through JSON as a state file holds it, and
// returns a new engine on rules restored from it, with the rules it
// restored.
func restart(t *testing.T, first *Engine, rules []Rule, opts Options) (*Engine, []string) {
	t.Helper()
	snap, err := first.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(snap)
	if err != nil {
		t.Fatal(err)
	}
	var back Snapshot
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	second, err := NewEngine(rules, opts)
	if err != nil {
		t.Fatal(err)
	}
	restored, err := second.Restore(&back)
	if err != nil {
		t.Fatalf("Restore() = %v, %v", restored, err)
	}
	return second, restored
}

func runEvents(tb testing.TB, eng *Engine, events []ev) {
	tb.Helper()
	var e parsers.Event
	for _, x := range events {
		e.Reset()
		e.Time, e.ClientIP = t0.Add(x.at), []byte(x.ip)
		eng.Observe(&e)
	}
}

// TestEngine_snapshotRestart: a run cut in the middle of a burst and
// resumed from a snapshot (through JSON) sends exactly the transitions of
// an uninterrupted run: the burst's alert once, its resolution on time.
func TestEngine_snapshotRestart(t *testing.T) {
	m := time.Minute
	events := byTime(concat(
		rampEvents(0, 20*m, 2, 2, "10.0.0.%d"),
		burst(20*m, 40*time.Second, 1200, "198.51.%d.7"),
		burst(20*m, 40*time.Second, 200, "203.0.113.9"),
		burst(20*m, 10*time.Second, 100, "192.0.2.44"), // ratio-site's hits, all before the cut
		rampEvents(20*m+40*time.Second, 10*m, 2, 2, "10.0.0.%d"),
	))
	// burst() formats %d; rampEvents keeps the literal: give each its own client.
	for i := range events {
		if events[i].ip == "10.0.0.%d" {
			events[i].ip = "10.0.0." + string(rune('a'+i%20))
		}
	}
	var whole []alert.Alert
	eng, err := NewEngine(snapRules(), Options{Emit: func(a alert.Alert) { whole = append(whole, a) }})
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, eng, events)
	eng.Flush()

	cut := 0
	for cut < len(events) && events[cut].at < 20*m+15*time.Second { // mid-burst
		cut++
	}
	var split []alert.Alert
	emit := func(a alert.Alert) { split = append(split, a) }
	first, _ := NewEngine(snapRules(), Options{Emit: emit})
	runEvents(t, first, events[:cut])
	second, restored := restart(t, first, snapRules(), Options{Emit: emit})
	if len(restored) != len(snapRules()) {
		t.Fatalf("Restore() = %v", restored)
	}
	runEvents(t, second, events[cut:])
	second.Flush()

	type brief struct {
		Rule  string
		State alert.State
		Time  time.Time
	}
	short := func(as []alert.Alert) (out []brief) {
		for _, a := range as {
			out = append(out, brief{a.Rule, a.State, a.Time})
		}
		return out
	}
	rulesSeen := map[string]bool{}
	for _, a := range whole {
		rulesSeen[a.Rule+" "+string(a.State)] = true
	}
	for _, want := range []string{"rate firing", "rate resolved", "perkey firing", "distinct firing", "baseline firing", "perkey-learned firing", "evidence firing", "ratio-perkey firing", "ratio-site resolved"} {
		if !rulesSeen[want] {
			t.Errorf("the uninterrupted run has no %s: %v", want, short(whole))
		}
	}
	if diff := gocmp.Diff(short(whole), short(split)); diff != "" {
		t.Errorf("transitions (-whole +split):\n%s", diff)
	}
	// A site-wide ratio's keys are its hits' (who fails), kept across the
	// restart: its resolution, after the cut, names the hits from before.
	resolvedKeys := func(as []alert.Alert) []alert.KeyCount {
		for _, a := range as {
			if a.Rule == "ratio-site" && a.State == alert.Resolved {
				return a.Keys
			}
		}
		return nil
	}
	if k := resolvedKeys(whole); len(k) == 0 || k[0].Key != "192.0.2.44" || !slices.Equal(k, resolvedKeys(split)) {
		t.Errorf("ratio-site's keys at its resolution: whole %v, split %v; want 192.0.2.44 first in both", k, resolvedKeys(split))
	}
}

func TestEngine_restoreChangedRule(t *testing.T) {
	eng, _ := NewEngine(snapRules(), Options{})
	runEvents(t, eng, burst(0, time.Minute, 300, "a"))
	snap, _ := eng.Snapshot()
	rules := snapRules()
	rules[0].Threshold, rules[0].Fingerprint = 50, "a2" // changed by a reload
	next, _ := NewEngine(rules, Options{})
	restored, err := next.Restore(snap)
	if err != nil {
		t.Fatal(err)
	}
	if len(restored) != len(rules)-1 || restored[0] == "rate" {
		t.Errorf("restored %v, want every rule but the changed one", restored)
	}
	if _, err := next.Restore(snap); err == nil {
		t.Error("a second Restore into a started engine succeeded")
	}
	snap.Version = 99
	fresh, _ := NewEngine(rules, Options{})
	if _, err := fresh.Restore(snap); err == nil {
		t.Error("a snapshot of another version was accepted")
	}
}

// TestEngine_restoreDistinct: a distinct rule's count survives a restart
// exactly (its sliding sketch is saved whole), and goes on expiring the
// values that leave the window; a version 1 snapshot, whose sketches were
// per bucket, restores the rest of the state with the count started empty.
func TestEngine_restoreDistinct(t *testing.T) {
	rules := []Rule{{Name: "distinct", Type: Distinct, Field: ipField(), Window: 5 * time.Minute, Threshold: 1e6, Fingerprint: "c"}}
	value := func(eng *Engine) float64 { return eng.View()[0].Value }
	eng, _ := NewEngine(rules, Options{})
	runEvents(t, eng, concat(burst(0, time.Minute, 3000, "10.1.%d.9"), burst(3*time.Minute, time.Minute, 500, "10.2.%d.9")))
	before := value(eng)
	if before < 3300 || before > 3700 {
		t.Fatalf("distinct before = %v, want about 3,500", before)
	}
	snap, err := eng.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(snap)
	var back Snapshot
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	next, _ := NewEngine(rules, Options{})
	if _, err := next.Restore(&back); err != nil {
		t.Fatal(err)
	}
	if got := value(next); got != before {
		t.Errorf("distinct after restore = %v, want %v", got, before)
	}
	// The first burst leaves the window; the second's 500 stay.
	runEvents(t, next, burst(6*time.Minute+30*time.Second, time.Second, 1, "10.3.0.1"))
	if got := value(next); got < 450 || got > 550 {
		t.Errorf("distinct after the first burst expired = %v, want about 501", got)
	}

	back.Version = 1
	old, _ := NewEngine(rules, Options{})
	if restored, err := old.Restore(&back); err != nil || len(restored) != 1 {
		t.Fatalf("Restore(version 1) = %v, %v", restored, err)
	}
}

// TestEvidence_restore: a clients-per-agent sign survives a restart,
// whether the rule counts the client addresses itself (its sketch is the
// sign's) or not; a snapshot that kept no user agents (written before they
// were kept) gives no sign from a rule's own count of addresses until the
// window holds only new events, rather than restored addresses against new
// user agents alone.
func TestEvidence_restore(t *testing.T) {
	ip := ipField()
	uas := []string{"Mozilla/5.0 (Windows)", "Mozilla/5.0 (Macintosh)", "Mozilla/5.0 (iPhone)"}
	rules := []Rule{
		{Name: "shared", Type: Rate, Window: 30 * time.Second, Threshold: 15, GroupBy: ip, DistinctOf: ip, Fingerprint: "a",
			Evidence: &Evidence{ClientsPerAgent: 20}},
		{Name: "own", Type: Rate, Window: 30 * time.Second, Threshold: 15, Fingerprint: "b",
			Evidence: &Evidence{ClientsPerAgent: 20}},
	}
	// Ten people with their own browsers over 10 s, then a bot's posts
	// from as many addresses with three user agents, 100 a second: the
	// rules fire near its 440th.
	var e parsers.Event
	feed := func(eng *Engine, from, to int) {
		for i := from; i < to; i++ {
			e.Reset()
			at, ua := time.Duration(i)*time.Second, fmt.Sprintf("Mozilla/5.0 (build %d)", i)
			if i >= 10 {
				at, ua = 10*time.Second+time.Duration(i-10)*10*time.Millisecond, uas[i%3]
			}
			e.Time, e.ClientIP, e.UserAgent = t0.Add(at), fmt.Appendf(nil, "10.%d.%d.9", i/250, i%250), []byte(ua)
			eng.Observe(&e)
		}
	}
	firings := func(as []alert.Alert) map[string][]string {
		out := map[string][]string{}
		for _, a := range as {
			if a.State == alert.Firing {
				out[a.Rule] = a.Evidence
			}
		}
		return out
	}
	const n, cut = 900, 210 // mid-burst, before the rules fire
	var whole []alert.Alert
	eng, _ := NewEngine(rules, Options{Emit: func(a alert.Alert) { whole = append(whole, a) }})
	feed(eng, 0, n)
	eng.Flush()
	want := firings(whole)
	for _, r := range rules {
		if !strings.Contains(strings.Join(want[r.Name], ";"), "3 user agents") {
			t.Fatalf("the uninterrupted run's %s fired with %q, want 3 user agents", r.Name, want[r.Name])
		}
	}

	restart := func(t *testing.T, edit func(*Snapshot)) map[string][]string {
		t.Helper()
		var split []alert.Alert
		emit := func(a alert.Alert) { split = append(split, a) }
		first, _ := NewEngine(rules, Options{Emit: emit})
		feed(first, 0, cut)
		snap, err := first.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		edit(snap)
		data, _ := json.Marshal(snap)
		var back Snapshot
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		second, _ := NewEngine(rules, Options{Emit: emit})
		if _, err := second.Restore(&back); err != nil {
			t.Fatal(err)
		}
		feed(second, cut, n)
		second.Flush()
		return firings(split)
	}
	t.Run("kept", func(t *testing.T) {
		if diff := gocmp.Diff(want, restart(t, func(*Snapshot) {})); diff != "" {
			t.Errorf("evidence (-whole +split):\n%s", diff)
		}
	})
	t.Run("written before the user agents were kept", func(t *testing.T) {
		got := restart(t, func(s *Snapshot) {
			for i := range s.Rules {
				s.Rules[i].Agents, s.Rules[i].Clients = nil, nil
			}
		})
		if ev, ok := got["shared"]; !ok || strings.Contains(strings.Join(ev, ";"), "user agents") {
			t.Errorf("shared fired (%v) with %q within a window of the restart, want it to fire without the user agents sign", ok, ev)
		}
		// The rule's own count of addresses started empty with its user
		// agents': the sign is of new events, as before.
		if ev := got["own"]; !strings.Contains(strings.Join(ev, ";"), "3 user agents") {
			t.Errorf("own fired with %q, want 3 user agents", ev)
		}
	})
}

// TestEvidence_restoreShare: the posts an evidence share counts in buckets
// where the rule counted nothing (log-ins that worked, no failure) are
// kept in a snapshot and restored, and leave the window after the restart
// as they would have without it.
func TestEvidence_restoreShare(t *testing.T) {
	post := NewEquals(LookupField("method"), []string{"POST"})
	failed := All{post, &Range{Field: LookupField("status"), Ranges: []NumRange{{401, 401}}}}
	rules := []Rule{{Name: "failures", Type: Rate, Window: time.Minute, Threshold: 100, Match: failed, Fingerprint: "a",
		Evidence: &Evidence{ShareOf: post, Share: 0.7}}}
	// A post a second; every fifth second's fails.
	var e parsers.Event
	feed := func(eng *Engine, from, to int) {
		for i := from; i < to; i++ {
			e.Reset()
			e.Time, e.ClientIP, e.Method, e.Status = t0.Add(time.Duration(i)*time.Second), []byte("10.0.0.1"), []byte("POST"), 302
			if i%5 == 0 {
				e.Status = 401
			}
			eng.Observe(&e)
		}
	}
	counts := func(eng *Engine) [2]uint64 {
		s := eng.rules[0]
		return [2]uint64{s.w.total, s.ev.sumOf}
	}
	whole, _ := NewEngine(rules, Options{})
	split, _ := NewEngine(rules, Options{})
	feed(whole, 0, 100)
	feed(split, 0, 100)
	restored := restarted(t, split, rules, Options{})
	from := 100
	for _, to := range []int{130, 200, 400} {
		feed(whole, from, to)
		feed(restored, from, to)
		from = to
		if w, r := counts(whole), counts(restored); w != r || w[1] > 61 {
			t.Errorf("at %ds: failures and posts in the window %v restored, %v without a restart (at most 61 posts)", to, r, w)
		}
	}
}

// TestSnapshot_episode: what holds a firing rule's episode together is
// kept across a restart: keep_firing_for's clock (a rule clear for a
// minute at the restart resolves when it would have, not two minutes
// after it), and a share floor seen in the episode (a restart during a dip
// of the share does not resolve the rule against the floor).
func TestSnapshot_episode(t *testing.T) {
	post := NewEquals(LookupField("method"), []string{"POST"})
	failed := All{post, &Range{Field: LookupField("status"), Ranges: []NumRange{{401, 401}}}}
	type line struct {
		at     time.Duration
		status int
	}
	run := func(t *testing.T, rule Rule, lines []line, cut time.Duration) []alert.Alert {
		t.Helper()
		var got []alert.Alert
		opts := Options{Emit: func(a alert.Alert) { got = append(got, a) }}
		eng, err := NewEngine([]Rule{rule}, opts)
		if err != nil {
			t.Fatal(err)
		}
		var e parsers.Event
		for i, l := range lines {
			if cut > 0 && l.at >= cut && (i == 0 || lines[i-1].at < cut) {
				eng = restarted(t, eng, []Rule{rule}, opts)
			}
			e.Reset()
			e.Time, e.ClientIP, e.Method, e.Status = t0.Add(l.at), []byte("198.51.100."+itoa(i%250+1)), []byte("POST"), l.status
			eng.Observe(&e)
		}
		eng.Flush()
		return got
	}
	t.Run("keep_firing_for", func(t *testing.T) {
		// 30 s at 8 failures a second, then one a second: clear from about
		// 40 s, resolved 2 minutes later. The restart at 100 s.
		var lines []line
		for i := range 240 {
			lines = append(lines, line{time.Duration(i) * time.Second / 8, 401})
		}
		for i := range 300 {
			lines = append(lines, line{30*time.Second + time.Duration(i)*time.Second, 401})
		}
		rule := Rule{Name: "r", Type: Rate, Window: 10 * time.Second, Threshold: 5, Match: failed, KeepFiringFor: 2 * time.Minute, Fingerprint: "a"}
		whole, split := run(t, rule, lines, 0), run(t, rule, lines, 100*time.Second)
		if len(whole) != 2 || len(split) != 2 || !whole[1].Time.Equal(split[1].Time) {
			t.Errorf("restarted at 100 s: %v; without a restart %v: want the same resolution", times(split), times(whole))
		}
	})
	t.Run("share_floor", func(t *testing.T) {
		// A small site stuffed at a try every 2 s; from 10 minutes into
		// the wave, half the tries work for 40 s (the share under 70%, the
		// rate over the share floor's clear level). The restart in the dip.
		var lines []line
		for i := range 160 {
			lines = append(lines, line{time.Duration(i) * 30 * time.Second, 302})
		}
		wave := 40 * time.Minute
		for i := range 600 {
			at, status := wave+time.Duration(i)*2*time.Second, 401
			if at >= wave+10*time.Minute && at < wave+10*time.Minute+40*time.Second && i%2 == 0 {
				status = 302
			}
			lines = append(lines, line{at, status})
		}
		slices.SortStableFunc(lines, func(a, b line) int { return cmp.Compare(a.at, b.at) })
		rule := Rule{Name: "r", Type: Rate, Window: time.Minute, Severity: alert.Warning, Match: failed, Fingerprint: "a",
			Evidence: &Evidence{ShareOf: post, Share: 0.7},
			Baseline: &Baseline{Factor: 5, Floor: 1, ShareFloor: 0.3, Warmup: 30 * time.Minute, HalfLife: 6 * time.Hour}}
		whole, split := run(t, rule, lines, 0), run(t, rule, lines, wave+10*time.Minute+30*time.Second)
		if len(whole) != 2 || len(split) != 2 || !whole[1].Time.Equal(split[1].Time) {
			t.Errorf("restarted in the dip: %v; without a restart %v: want one episode, the same", times(split), times(whole))
		}
	})
}

func times(as []alert.Alert) []string {
	var out []string
	for _, a := range as {
		out = append(out, string(a.State)+" "+a.Time.Sub(t0).String())
	}
	return out
}

// TestSnapshot_keyOrdinaryShare: the per-key counts of log-in posts that
// tell an office's people from a brute-forcer are kept across a restart:
// restarted in the middle of an office's nine o'clock log-ins, the rule
// stays as quiet as without the restart.
func TestSnapshot_keyOrdinaryShare(t *testing.T) {
	post := NewEquals(LookupField("method"), []string{"POST"})
	failed := All{post, &Range{Field: LookupField("status"), Ranges: []NumRange{{401, 401}}}}
	rule := Rule{Name: "client", Type: Rate, PerKey: true, GroupBy: ipField(), Window: 5 * time.Minute, Severity: alert.Warning, Match: failed,
		Fingerprint: "a", Evidence: &Evidence{ShareOf: post, Share: 0.7},
		Baseline: &Baseline{Factor: 4, Floor: 4.0 / 60, Warmup: 30 * time.Minute, WarmupFloor: 4.0 / 60, KeyShare: 0.1, KeyOrdinaryShare: 0.4, HalfLife: 24 * time.Hour}}
	// The office: 20 log-in posts a minute from one address from 40
	// minutes on, a quarter failing; before it, a post every 30 s.
	var e parsers.Event
	feed := func(eng *Engine, from, to time.Duration) {
		for at := from; at < to; at += time.Second {
			switch {
			case at < 40*time.Minute && at%(30*time.Second) == 0:
				e.Reset()
				e.Time, e.ClientIP, e.Method, e.Status = t0.Add(at), []byte("10.0.0."+itoa(int(at/time.Minute)+1)), []byte("POST"), 302
				eng.Observe(&e)
			case at >= 40*time.Minute && at%(3*time.Second) == 0:
				e.Reset()
				e.Time, e.ClientIP, e.Method, e.Status = t0.Add(at), []byte("193.17.25.199"), []byte("POST"), 302
				if at%(12*time.Second) == 0 {
					e.Status = 401
				}
				eng.Observe(&e)
			}
		}
	}
	var got []alert.Alert
	opts := Options{Emit: func(a alert.Alert) { got = append(got, a) }}
	eng, _ := NewEngine([]Rule{rule}, opts)
	feed(eng, 0, 48*time.Minute)
	eng = restarted(t, eng, []Rule{rule}, opts)
	feed(eng, 48*time.Minute, 55*time.Minute)
	eng.Flush()
	if len(got) != 0 {
		t.Errorf("restarted in the office's log-ins: %v, want nothing", times(got))
	}
}

// restarted returns a new engine of rules with opts, restored from eng's
// snapshot through its JSON, as a restart does.
func restarted(t *testing.T, eng *Engine, rules []Rule, opts Options) *Engine {
	t.Helper()
	snap, err := eng.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	data, _ := json.Marshal(snap)
	var back Snapshot
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	next, err := NewEngine(rules, opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := next.Restore(&back); err != nil {
		t.Fatal(err)
	}
	return next
}

// TestEvidence_restoreRush: the state file keeps no_pause's count of the
// posts that came without a person's pause, bucket by bucket.
func TestEvidence_restoreRush(t *testing.T) {
	post := NewEquals(LookupField("method"), []string{"POST"})
	rules := []Rule{{Name: "signups", Type: Rate, Window: time.Minute, Threshold: 100, Match: post, Fingerprint: "a",
		Evidence: &Evidence{NoPause: 0.8}}}
	eng, _ := NewEngine(rules, Options{})
	var e parsers.Event
	observe := func(at time.Duration, ip, method string) {
		e.Reset()
		e.Time, e.ClientIP, e.Method = t0.Add(at), []byte(ip), []byte(method)
		eng.Observe(&e)
	}
	observe(-coldWindow, "192.0.2.1", "GET")
	// 30 addresses loading the form and posting a second later, 10 after
	// a pause of 15 s.
	type req struct {
		at         time.Duration
		ip, method string
	}
	var reqs []req
	for i := range 40 {
		ip, at := fmt.Sprintf("10.0.0.%d", i), time.Duration(i)*time.Second
		pause := time.Second
		if i%4 == 3 {
			pause = 15 * time.Second
		}
		reqs = append(reqs, req{at, ip, "GET"}, req{at + pause, ip, "POST"})
	}
	slices.SortStableFunc(reqs, func(a, b req) int { return cmp.Compare(a.at, b.at) })
	for _, r := range reqs {
		observe(r.at, r.ip, r.method)
	}
	if got := eng.rules[0].ev.sumR; got != 30 {
		t.Fatalf("%d posts without a pause, want 30", got)
	}
	restored := restarted(t, eng, rules, Options{})
	if got, total := restored.rules[0].ev.sumR, restored.rules[0].w.total; got != 30 || total != 40 {
		t.Errorf("restored: %d of %d posts without a pause, want 30 of 40", got, total)
	}
}

// TestSnapshot_liveThreshold: a baseline rule restored in the middle of a
// second fires on the event that crosses its threshold, as the run that
// never stopped does, not at the next boundary: the threshold a live
// crossing is held to is kept. A restarted daemon's repeated action
// carries its episode's start in its idempotency key, so the two runs'
// must be the same.
func TestSnapshot_liveThreshold(t *testing.T) {
	rule := Rule{Name: "burst", Type: Rate, Window: 10 * time.Second, Fingerprint: "l",
		Baseline: &Baseline{Factor: 3, Floor: 5, Warmup: time.Minute, HalfLife: time.Hour}}
	var events []ev
	for i := range 300 { // five minutes at 1/s: learned
		events = append(events, ev{at: time.Duration(i) * time.Second, ip: "10.0.0.1"})
	}
	for i := range 100 { // then 100 in one second
		events = append(events, ev{at: 300*time.Second + time.Duration(i)*9*time.Millisecond, ip: "198.51.100.7"})
	}
	firstFiring := func(as []alert.Alert) alert.Alert {
		for _, a := range as {
			if a.State == alert.Firing {
				return a
			}
		}
		return alert.Alert{}
	}
	var whole []alert.Alert
	eng, err := NewEngine([]Rule{rule}, Options{Emit: func(a alert.Alert) { whole = append(whole, a) }})
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, eng, events)
	want := firstFiring(whole)
	if want.Time.IsZero() || want.Time.Sub(t0) <= 300*time.Second || want.Time.Sub(t0) >= 301*time.Second {
		t.Fatalf("the whole run fired %+v, want within the burst's second, on an event", want)
	}
	cut := 310 // ten of the burst's events, before the crossing
	var split []alert.Alert
	emit := func(a alert.Alert) { split = append(split, a) }
	first, _ := NewEngine([]Rule{rule}, Options{Emit: emit})
	runEvents(t, first, events[:cut])
	second, _ := restart(t, first, []Rule{rule}, Options{Emit: emit})
	runEvents(t, second, events[cut:])
	if got := firstFiring(split); !got.Time.Equal(want.Time) || !got.Since.Equal(want.Since) {
		t.Errorf("restored mid-second: fired at %v since %v, want %v since %v", got.Time.Sub(t0), got.Since.Sub(t0), want.Time.Sub(t0), want.Since.Sub(t0))
	}
}

// TestEvidence_coldAtStart: posts from addresses that loaded no page, from
// the log's first line on (a sentinel started during the founding story's
// flood), are the evidence's cold posts at once: the alert is critical
// when it fires, not two minutes in. After a restart from a snapshot the
// same posts may follow pages the last run read (people mid-form across
// the restart; the warm set is not kept): the guard holds for the
// evidence too, and the alert is a warning.
func TestEvidence_coldAtStart(t *testing.T) {
	rule := Rule{Name: "signups", Type: Rate, Window: 30 * time.Second, Threshold: 2, Severity: alert.Warning,
		Fingerprint: "a", Evidence: &Evidence{Cold: 0.8}, Match: NewEquals(LookupField("method"), []string{"POST"})}
	var e parsers.Event
	send := func(eng *Engine, at time.Duration, method string, i int) {
		e.Reset()
		e.Time, e.Method, e.ClientIP = t0.Add(at), []byte(method), fmt.Appendf(nil, "198.51.%d.%d", i/250, i%250)
		eng.Observe(&e)
	}
	// 200 addresses post once each, 10 a second, from start on.
	posts := func(eng *Engine, start time.Duration) {
		for i := range 200 {
			send(eng, start+time.Duration(i)*100*time.Millisecond, "POST", i)
		}
		eng.Flush()
	}
	first := func(got []alert.Alert) alert.Alert {
		for _, a := range got {
			if a.State == alert.Firing {
				return a
			}
		}
		t.Fatalf("no firing in %v", got)
		return alert.Alert{}
	}

	var got []alert.Alert
	fresh, _ := NewEngine([]Rule{rule}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
	posts(fresh, 0)
	if a := first(got); a.Severity != alert.Critical || !strings.Contains(strings.Join(a.Evidence, ";"), "loaded no page first") {
		t.Errorf("fresh start: %s %q, want critical, cold posts", a.Severity, a.Evidence)
	}

	// The same addresses load the form in the minute before a restart.
	got = nil
	before, _ := NewEngine([]Rule{rule}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
	for i := range 200 {
		send(before, 10*time.Minute+time.Duration(i)*300*time.Millisecond, "GET", i)
	}
	snap, err := before.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	after, _ := NewEngine([]Rule{rule}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
	if _, err := after.Restore(snap); err != nil {
		t.Fatal(err)
	}
	posts(after, 11*time.Minute)
	if a := first(got); a.Severity != alert.Warning || len(a.Evidence) != 0 {
		t.Errorf("after a restart: %s %q, want a warning without evidence", a.Severity, a.Evidence)
	}
}
