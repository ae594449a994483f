package detector

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/parsers"
)

// t0 is a whole second, so that bucket boundaries fall on round times.
var t0 = time.Date(2026, 11, 27, 1, 20, 0, 0, time.UTC)

// ev is one test event: an offset from t0 and a client.
type ev struct {
	at time.Duration
	ip string
}

// burst returns n events evenly spread over [from, from+d), from ip (or,
// when ip contains %d, from n distinct clients).
func burst(from, d time.Duration, n int, ip string) []ev {
	out := make([]ev, n)
	for i := range out {
		addr := ip
		if containsVerb(ip) {
			addr = fmt.Sprintf(ip, i)
		}
		out[i] = ev{at: from + time.Duration(int64(d)*int64(i)/int64(n)), ip: addr}
	}
	return out
}

func containsVerb(s string) bool {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '%' && s[i+1] == 'd' {
			return true
		}
	}
	return false
}

// transition is the part of an alert the tests compare.
type transition struct {
	State alert.State
	At    time.Duration // after t0
	Value float64
}

// replay runs events (in the order given) through one rule and returns
// the transitions.
func replay(tb testing.TB, r Rule, events []ev, opts Options) ([]transition, []alert.Alert, *Engine) {
	tb.Helper()
	var got []transition
	var full []alert.Alert
	opts.Emit = func(a alert.Alert) {
		got = append(got, transition{a.State, a.Time.Sub(t0), a.Value})
		full = append(full, a)
	}
	eng, err := NewEngine([]Rule{r}, opts)
	if err != nil {
		tb.Fatalf("NewEngine: %v", err)
	}
	var e parsers.Event
	for _, x := range events {
		e.Reset()
		e.Time = t0.Add(x.at)
		e.ClientIP = []byte(x.ip)
		e.Raw = []byte("line from " + x.ip)
		eng.Observe(&e)
	}
	eng.Flush()
	return got, full, eng
}

// byTime sorts events by time, keeping the order of equal times.
func byTime(events []ev) []ev {
	slices.SortStableFunc(events, func(a, b ev) int { return cmp.Compare(a.at, b.at) })
	return events
}

func ipField() *Field { f := LookupField("client_ip"); return &f }

func rateRule(window time.Duration, threshold float64) Rule {
	return Rule{Name: "r", Type: Rate, Window: window, Threshold: threshold, Severity: alert.Critical}
}

func concat(parts ...[]ev) []ev {
	var out []ev
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func TestEngine_rate(t *testing.T) {
	s := time.Second
	tests := []struct {
		name   string
		rule   Rule
		events []ev
		want   []transition
	}{
		{
			name:   "burst fires on the event that crosses",
			rule:   rateRule(10*s, 10),
			events: burst(0, 2*s, 400, "1.2.3.4"), // 200/s: the 100th event at t0+0.495s
			// The input ends while the rule fires, and replay does not
			// invent a resolution.
			want: []transition{{alert.Firing, 495 * time.Millisecond, 10}},
		},
		{
			name:   "steady traffic under the threshold never fires",
			rule:   rateRule(10*s, 10),
			events: burst(0, 60*s, 540, "1.2.3.4"), // 9/s
		},
		{
			name: "burst straddling a fixed-window edge is seen whole",
			rule: rateRule(10*s, 10),
			// 60 events in the last half second before t0+10s and 60 in the
			// first half second after: fixed 10 s windows would see 60 each
			// (below 100) and let 2× the limit through.
			// The 40th event after t0+10s is the 100th within 10 s.
			events: concat(burst(9500*time.Millisecond, 500*time.Millisecond, 60, "a"), burst(10*s, 500*time.Millisecond, 60, "b")),
			want:   []transition{{alert.Firing, 10325 * time.Millisecond, 10}},
		},
		{
			name:   "exactly at the threshold fires",
			rule:   rateRule(10*s, 10),
			events: burst(0, 1*s, 100, "a"),
			want:   []transition{{alert.Firing, 990 * time.Millisecond, 10}},
		},
		{
			name:   "one below the threshold does not",
			rule:   rateRule(10*s, 10),
			events: burst(0, 1*s, 99, "a"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, _ := replay(t, tt.rule, tt.events, Options{})
			if diff := gocmp.Diff(tt.want, got); diff != "" {
				t.Errorf("transitions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEngine_resolveInGap(t *testing.T) {
	s := time.Second
	// A burst, then nothing for a day, then one event: the rule resolves
	// when the burst leaves the window, not when the next line arrives.
	events := concat(burst(0, 1*s, 200, "a"), []ev{{at: 24 * time.Hour, ip: "b"}})
	got, _, _ := replay(t, rateRule(10*s, 10), events, Options{})
	want := []transition{
		{alert.Firing, 495 * time.Millisecond, 10},
		{alert.Resolved, 11 * s, 0},
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
}

func TestEngine_hysteresis(t *testing.T) {
	s := time.Second
	// 10 s window, threshold 10/s, clear at 8/s. Each second of traffic at
	// a given rate; the window average follows with a lag.
	var events []ev
	rates := []int{12, 12, 12, 12, 12, 12, 12, 12, 12, 12, // fires once the window fills
		9, 9, 9, 9, 9, 9, 9, 9, 9, 9, // hovers between clear and threshold: stays firing
		11, 9, 11, 9, 11, 9, 11, 9, 11, 9, // oscillates around the threshold: no flapping
		7, 7, 7, 7, 7, 7, 7, 7, 7, 7} // below clear: resolves
	for sec, n := range rates {
		events = append(events, burst(time.Duration(sec)*s, s, n, "a")...)
	}
	got, _, _ := replay(t, rateRule(10*s, 10), events, Options{})
	want := []transition{
		{alert.Firing, 8250 * time.Millisecond, 10}, // the 100th event within 10 s
		{alert.Resolved, 37 * s, 7.8},               // 78 events in [t0+27s, t0+37s)
	}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
}

func TestEngine_for(t *testing.T) {
	s := time.Second
	r := rateRule(5*s, 10)
	r.For = 5 * s
	t.Run("short burst stays pending", func(t *testing.T) {
		// 60 events in one second: 12/s over the 5 s window, for 4 s only.
		got, _, _ := replay(t, r, burst(0, s, 60, "a"), Options{})
		if len(got) != 0 {
			t.Errorf("transitions = %v, want none", got)
		}
	})
	t.Run("sustained burst fires after for", func(t *testing.T) {
		got, full, _ := replay(t, r, burst(0, 20*s, 20*20, "a"), Options{})
		if len(got) == 0 || got[0].State != alert.Firing || got[0].At != 8*s {
			t.Fatalf("transitions = %v, want firing at 8s", got)
		}
		if want := t0.Add(3 * s); !full[0].Since.Equal(want) {
			t.Errorf("Since = %v, want %v (when the condition started holding)", full[0].Since, want)
		}
	})
}

func TestEngine_late(t *testing.T) {
	s := time.Second
	events := concat(
		burst(10*s, 1*s, 50, "a"),
		burst(7*s, 1*s, 50, "b"), // 3 s behind the newest line: within the skew, counted
		burst(2*s, 1*s, 50, "c"), // 8 s behind: late, not counted
	)
	got, _, eng := replay(t, rateRule(20*s, 5), events, Options{})
	// 100 counted events in a 20 s window is exactly 5/s, reached with the
	// last of b, behind the newest bucket: the next boundary decides.
	want := []transition{{alert.Firing, 11 * s, 5}}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
	if st := eng.Stats(); st.Late != 50 || st.Events != 150 || st.Rules[0].Matched != 100 {
		t.Errorf("Stats() = %+v, want 150 events, 50 late, 100 matched", st)
	}
}

func TestEngine_perKey(t *testing.T) {
	s := time.Second
	r := rateRule(10*s, 10)
	r.PerKey = true
	r.GroupBy = ipField()
	// 300 clients at 1 request each per second (300/s in total) and one
	// client at 15/s: only that one crosses 10/s.
	var events []ev
	for sec := 0; sec < 20; sec++ {
		events = append(events, burst(time.Duration(sec)*s, s, 300, "10.0.0.%d")...)
		events = append(events, burst(time.Duration(sec)*s, s, 15, "203.0.113.7")...)
	}
	got, full, _ := replay(t, r, events, Options{})
	if len(got) == 0 || got[0].State != alert.Firing {
		t.Fatalf("transitions = %v, want a firing", got)
	}
	a := full[0]
	if a.Keys[0].Key != "203.0.113.7" || a.Value < 10 || a.Value > 16 {
		t.Errorf("firing alert value %v keys %v, want 203.0.113.7 first at ~15/s", a.Value, a.Keys)
	}
	for _, k := range a.Keys {
		if k.Count < k.Error {
			t.Errorf("key %v: count below its error bound", k)
		}
	}
}

func TestEngine_perKeyQuiet(t *testing.T) {
	s := time.Second
	r := rateRule(10*s, 10)
	r.PerKey = true
	r.GroupBy = ipField()
	// Lots of traffic, spread thin: the total is far above 10/s but no
	// client is.
	var events []ev
	for sec := 0; sec < 30; sec++ {
		events = append(events, burst(time.Duration(sec)*s, s, 500, "10.0.%d.1")...)
	}
	if got, _, _ := replay(t, r, events, Options{}); len(got) != 0 {
		t.Errorf("transitions = %v, want none", got)
	}
}

func TestEngine_distinct(t *testing.T) {
	s := time.Second
	f := ipField()
	r := Rule{Name: "d", Type: Distinct, Field: f, Window: 60 * s, Threshold: 100, GroupBy: f}
	t.Run("many clients fire", func(t *testing.T) {
		got, full, _ := replay(t, r, burst(0, 10*s, 200, "198.51.%d.9"), Options{})
		if len(got) != 1 || got[0].State != alert.Firing {
			t.Fatalf("transitions = %v, want one firing", got)
		}
		if d := full[0].Distinct; d < 95 || d > 125 {
			// Fires at the first boundary past 100 distinct clients.
			t.Errorf("Distinct = %d, want about 100", d)
		}
	})
	t.Run("one client many times does not", func(t *testing.T) {
		if got, _, _ := replay(t, r, burst(0, 10*s, 5000, "198.51.100.9"), Options{}); len(got) != 0 {
			t.Errorf("transitions = %v, want none", got)
		}
	})
}

func TestEngine_alertContents(t *testing.T) {
	s := time.Second
	r := rateRule(30*s, 1)
	r.GroupBy, r.DistinctOf = ipField(), ipField()
	r.Description = "sign-ups"
	events := byTime(concat(burst(0, 5*s, 40, "203.0.113.7"), burst(0, 5*s, 400, "192.0.%d.1")))
	_, full, _ := replay(t, r, events, Options{TopN: 2})
	if len(full) == 0 {
		t.Fatal("no alert")
	}
	a := full[0]
	if a.Keys[0].Key != "203.0.113.7" || len(a.Keys) != 2 {
		t.Errorf("Keys = %v, want 203.0.113.7 first, 2 keys", a.Keys)
	}
	if a.Distinct < 20 || a.Distinct > 35 || a.DistinctOf != "client_ip" {
		// Fired on the 30th event (1/s over 30 s), a third of a second in.
		t.Errorf("Distinct = %d of %q, want ~28 client_ip (the clients up to the crossing)", a.Distinct, a.DistinctOf)
	}
	if a.Rule != "r" || a.Threshold != 1 || a.Unit != "/s" || a.Severity != alert.Critical || a.Window != 30*s || len(a.Samples) == 0 {
		t.Errorf("alert = %+v", a)
	}
}

func TestEngine_advanceResolvesWhileQuiet(t *testing.T) {
	s := time.Second
	var got []alert.Alert
	eng, err := NewEngine([]Rule{rateRule(10*s, 10)}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
	if err != nil {
		t.Fatal(err)
	}
	var e parsers.Event
	for _, x := range burst(0, s, 200, "a") {
		e.Reset()
		e.Time = t0.Add(x.at)
		eng.Observe(&e)
	}
	eng.Advance(t0.Add(2 * s))
	if len(got) != 1 || got[0].State != alert.Firing {
		t.Fatalf("after 2s: %v, want firing", got)
	}
	eng.Advance(t0.Add(30 * s))
	if len(got) != 2 || got[1].State != alert.Resolved || !got[1].Time.Equal(t0.Add(11*s)) {
		t.Fatalf("after 30s: %v, want resolved at t0+11s", got)
	}
}

func TestNewEngine_invalid(t *testing.T) {
	bad := []Rule{
		{Name: "", Type: Rate, Window: time.Second, Threshold: 1},
		{Name: "w", Type: Rate, Window: 1500 * time.Millisecond, Threshold: 1},
		{Name: "t", Type: Rate, Window: time.Second, Threshold: 0},
		{Name: "p", Type: Rate, Window: time.Second, Threshold: 1, PerKey: true},
		{Name: "d", Type: Distinct, Window: time.Second, Threshold: 1},
	}
	for _, r := range bad {
		if _, err := NewEngine([]Rule{r}, Options{}); err == nil {
			t.Errorf("NewEngine(%+v) = nil error", r)
		}
	}
	dup := []Rule{rateRule(time.Second, 1), rateRule(time.Second, 1)}
	if _, err := NewEngine(dup, Options{}); err == nil {
		t.Error("NewEngine with a duplicate name = nil error")
	}
}

func TestEngine_longWindow(t *testing.T) {
	s := time.Second
	// A 5-minute window slides in 3 s buckets (100 of them). A burst after
	// an idle gap that does not end on a bucket boundary still counts whole.
	r := rateRule(5*time.Minute, 1)
	events := concat(burst(0, s, 1, "a"), burst(time.Hour+1700*time.Millisecond, 10*s, 400, "b"))
	got, full, _ := replay(t, r, events, Options{})
	if len(got) != 1 || got[0].State != alert.Firing {
		t.Fatalf("transitions = %v, want one firing", got)
	}
	// 300 events (1/s over 300 s) are reached 7.5 s into the burst, at
	// t0+1h+9.175s, the burst's 300th event: the rule fires on it.
	if at, want := got[0].At, time.Hour+9175*time.Millisecond; at != want {
		t.Errorf("fired at %v, want %v", at, want)
	}
	if full[0].Window != 5*time.Minute {
		t.Errorf("Window = %v", full[0].Window)
	}
}

func TestBucketWidth(t *testing.T) {
	tests := []struct {
		steps, width int64
		ok           bool
	}{
		{30, 1, true}, {120, 1, true}, {121, 11, true}, {300, 3, true}, {3600, 30, true},
		{86400, 720, true}, {7919, 7919, false}, {122, 2, true}, {127, 127, false},
	}
	for _, tt := range tests {
		if w, ok := bucketWidth(tt.steps); w != tt.width || ok != tt.ok {
			t.Errorf("bucketWidth(%d) = %d, %v; want %d, %v", tt.steps, w, ok, tt.width, tt.ok)
		}
	}
}

func TestEngine_flushWideBuckets(t *testing.T) {
	// A burst in the last second of the log, in a rule whose buckets are
	// 3 s wide: Flush evaluates that bucket at its own end, wherever in
	// the bucket the log stops.
	for _, off := range []time.Duration{0, time.Second, 2 * time.Second} {
		r := rateRule(5*time.Minute, 0.1)
		got, _, _ := replay(t, r, burst(off, time.Second/2, 40, "a"), Options{})
		if len(got) != 1 || got[0].State != alert.Firing {
			t.Errorf("burst at +%v: transitions %v, want one firing", off, got)
		}
	}
}

func TestEngine_outOfRangeAndTooOld(t *testing.T) {
	s := time.Second
	var events []ev
	events = append(events, burst(0, s, 10, "a")...)
	events = append(events, ev{at: 250 * 365 * 24 * time.Hour, ip: "future"}) // year 2276
	events = append(events, burst(s, s, 10, "b")...)
	_, _, eng := replay(t, rateRule(10*s, 100), events, Options{})
	st := eng.Stats()
	if st.OutOfRange != 1 || st.Late != 0 || st.Rules[0].Matched != 20 {
		t.Errorf("Stats() = %+v, want 1 out of range, 0 late, 20 matched", st)
	}
	// Skew longer than the window: events older than the window are late,
	// not lost.
	events = concat(burst(30*s, s, 10, "a"), burst(5*s, s, 10, "b"))
	_, _, eng = replay(t, rateRule(10*s, 100), events, Options{Skew: time.Minute})
	if st := eng.Stats(); st.Late != 0 || st.Rules[0].Late != 10 || st.Rules[0].Matched != 10 {
		t.Errorf("Stats() = %+v, want 10 late for the rule and 10 matched", st)
	}
}

func TestNewEngine_badThresholds(t *testing.T) {
	for _, th := range []float64{math.NaN(), math.Inf(1), -1} {
		if _, err := NewEngine([]Rule{rateRule(time.Second, th)}, Options{}); err == nil {
			t.Errorf("threshold %v accepted", th)
		}
	}
	r := rateRule(time.Second, 1)
	r.Clear = math.NaN()
	if _, err := NewEngine([]Rule{r}, Options{}); err == nil {
		t.Error("clear NaN accepted")
	}
	if _, err := NewEngine([]Rule{rateRule(7919*time.Second, 1)}, Options{}); err == nil {
		t.Error("a window of 7919 s accepted")
	}
}

// TestRoute: the route field writes the segments that name a record as
// :id, and leaves the application's own words, slugs and versions.
func TestRoute(t *testing.T) {
	f := LookupField("route")
	fieldCases(t, f, func(e *parsers.Event, v []byte) { e.Path = v }, map[string]string{
		"/":                        "/",
		"":                         "",
		"/pricing":                 "/pricing",
		"/orders/8812/pay":         "/orders/:id/pay",
		"/orders/8812":             "/orders/:id",
		"/orders/8812/":            "/orders/:id/",
		"/2024/11/launch-week":     "/:id/:id/launch-week",
		"/api/v1/users/42/posts/7": "/api/v1/users/:id/posts/:id",
		"/files/3f2504e0-4f89-11d3-9a0c-0305e82c3301/raw": "/files/:id/raw",
		"/c/5f8d0d55b54764421b7156c3":                     "/c/:id",
		"/s/a8Kd93LmQz0pXr7Tb":                            "/s/:id",
		"/blog/launch-week-2024":                          "/blog/launch-week-2024",
		"/internationalization":                           "/internationalization",
		"/v2/items":                                       "/v2/items",
		"/3f2504e0-4f89-11d3-9a0c-0305e82c330g":           "/3f2504e0-4f89-11d3-9a0c-0305e82c330g",
		"http://example.com/orders/17":                    "http://example.com/orders/:id",
	})
	// As the engine reads it: once per event, into the event's buffer,
	// without allocating once the buffer has grown.
	var pe parsers.Event
	pe.Reset()
	pe.Path = []byte("/orders/8812/items/77")
	var e Event
	noAllocs(t, f, &e, &pe)
	pe2 := pe
	pe2.Path = []byte("/pricing")
	if e.reset(&pe2, 0); string(f.get(&e)) != "/pricing" {
		t.Errorf("route after another event = %q, want /pricing", f.get(&e))
	}
}

// TestEndpoint: a read's endpoint is its route, a write's its method and
// route, read without allocating once the event's buffers have grown.
// TestNativeAppField: native_app is "true" for a native app's HTTP stack
// or an app's own user agent naming the phone, "false" for a browser's
// (which names the phone too) and for none.
func TestNativeAppField(t *testing.T) {
	f := LookupField("native_app")
	for ua, want := range map[string]string{
		"okhttp/4.12.0": "true",
		"MyShop/3.2.1 CFNetwork/1494.0.7 Darwin/23.4.0":                                                          "true",
		"MyShop/3.2 (iPhone; iOS 17.5; Scale/3.00)":                                                              "true",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1": "false",
		"python-requests/2.32.3":                                                                                 "false",
		"":                                                                                                       "false",
	} {
		var pe parsers.Event
		pe.Reset()
		pe.UserAgent = []byte(ua)
		if got := string(f.Bytes(&pe)); got != want {
			t.Errorf("native_app(%q) = %q, want %q", ua, got, want)
		}
	}
}

func TestEndpoint(t *testing.T) {
	f := LookupField("endpoint")
	for _, tt := range []struct{ method, path, want string }{
		{"GET", "/users/log_in", "/users/log_in"},
		{"HEAD", "/orders/8812", "/orders/:id"},
		{"", "/pricing", "/pricing"}, // a format without the method
		{"POST", "/users/log_in", "POST /users/log_in"},
		{"PATCH", "/api/v1/orders/8812/pay", "PATCH /api/v1/orders/:id/pay"},
		{"DELETE", "/", "DELETE /"},
	} {
		var pe parsers.Event
		pe.Reset()
		pe.Method, pe.Path = []byte(tt.method), []byte(tt.path)
		if got := string(f.Bytes(&pe)); got != tt.want {
			t.Errorf("endpoint(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
	var pe parsers.Event
	pe.Reset()
	pe.Method, pe.Path = []byte("POST"), []byte("/orders/8812/pay")
	var e Event
	noAllocs(t, f, &e, &pe)
	pe2 := pe
	pe2.Method, pe2.Path = []byte("GET"), []byte("/orders/17")
	if e.reset(&pe2, 0); string(f.get(&e)) != "/orders/:id" {
		t.Errorf("endpoint after another event = %q, want /orders/:id", f.get(&e))
	}
}

// FuzzText: a long list of prefixes or suffixes kept by its edge byte
// (NewText) holds for the same texts as the list compared in turn, with
// case or without (ASCII: lowering both sides changes nothing).
func FuzzText(f *testing.F) {
	f.Add("/assets/app.css", ".css,.js,.png,.jpg,.svg,.woff2,.ico,s", false, false)
	f.Add("/", "/api/,/v1/,/auth/,/a,/b,/c,/d,/", true, false)
	f.Add("", ".a,.b,.c,.d,.e,.f,.g", false, false)
	f.Add("/FEED.XML", ".xml,.rss,.atom,/feed,/feed/,/rss,/rss/,/atom,/atom/,/feed.json", false, true)
	f.Add("/Feed", ".xml,.rss,.atom,/feed,/feed/,/rss,/rss/,/atom,/atom/,/feed.json", false, true)
	f.Add("/blog.rs\u212a", ".xml,.rss,.atom,/feed,/feed/,/rss,/rss/,/atom,/atom/,/feed.json,.rsk", false, true)
	f.Fuzz(func(t *testing.T, path, list string, prefix, fold bool) {
		op := Suffix
		if prefix {
			op = Prefix
		}
		values := strings.Split(list, ",")
		fd := LookupField("path")
		indexed, plain := NewText(fd, op, values, fold), &Text{Field: fd, Op: op, Values: values, Fold: fold}
		var pe parsers.Event
		pe.Reset()
		pe.Path = []byte(path)
		var e Event
		e.reset(&pe, 0)
		got, want := indexed.Match(&e), plain.Match(&e)
		if got != want {
			t.Errorf("%v %q of %q, fold %v: indexed %v, compared in turn %v", op, values, path, fold, got, want)
		}
		if !fold || !isASCII(path) || !isASCII(list) {
			return
		}
		lower := &Text{Field: fd, Op: op, Values: strings.Split(strings.ToLower(list), ",")}
		pe.Path = []byte(strings.ToLower(path))
		if e.reset(&pe, 0); lower.Match(&e) != got {
			t.Errorf("%v %q of %q without case: %v, lowered %v", op, values, path, got, !got)
		}
	})
}

func isASCII(s string) bool {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// TestText_foldASCII: ignore_case folds ASCII letters only: a path's É
// is not an é (bytes.EqualFold's Unicode folding), nor '@' a '`'.
func TestText_foldASCII(t *testing.T) {
	fd := LookupField("path")
	for _, tt := range []struct {
		path, suffix string
		want         bool
	}{{"/FEED.XML", ".xml", true}, {"/rss.rs\u212a", ".rsk", false}, {"/a@", "/a`", false}, {"/a[", "/a{", false}, {"/Atom", "/atom", true}, {"/CAFÉ", "é", false}} {
		for _, n := range []int{1, 8} { // compared in turn; kept by edge
			values := append([]string{tt.suffix}, slices.Repeat([]string{".none"}, n-1)...)
			c := NewText(fd, Suffix, values, true)
			var pe parsers.Event
			pe.Reset()
			pe.Path = []byte(tt.path)
			var e Event
			if e.reset(&pe, 0); c.Match(&e) != tt.want {
				t.Errorf("%q ends in %q, ignoring case, among %d: %v, want %v", tt.path, tt.suffix, n, !tt.want, tt.want)
			}
		}
	}
}

func TestClientNet(t *testing.T) {
	f := LookupField("client_net")
	fieldCases(t, f, func(e *parsers.Event, v []byte) { e.ClientIP = v }, map[string]string{
		"203.0.113.77": "203.0.113.0/24", "2001:db8:1:2:3:4:5:6": "2001:db8:1:2::/64",
		"::ffff:198.51.100.9": "198.51.100.0/24", "garbage": "",
	})
	// As the engine reads it: into the event's own buffer, once per event,
	// without allocating.
	var pe parsers.Event
	pe.Reset()
	pe.ClientIP = []byte("203.0.113.77")
	var e Event
	noAllocs(t, f, &e, &pe)
	for _, ip := range []string{"fe80::1%eth0", "fe80::1%x }; flush ruleset; add table inet pwned {"} {
		pe.ClientIP = []byte(ip)
		if e.reset(&pe, 0); f.get(&e) != nil {
			t.Errorf("client_net(%q) = %q, want nothing: a zoned address is no client address", ip, f.get(&e))
		}
	}
}

// fieldCases checks what f reads from an event that set fills with each
// case's input.
func fieldCases(t *testing.T, f Field, set func(*parsers.Event, []byte), cases map[string]string) {
	t.Helper()
	for in, want := range cases {
		var e parsers.Event
		e.Reset()
		set(&e, []byte(in))
		if got := string(f.Bytes(&e)); got != want {
			t.Errorf("%s(%q) = %q, want %q", f.Name, in, got, want)
		}
	}
}

// noAllocs fails t when reading f from pe, as the engine does (e reset
// to it), allocates once e's buffers have grown.
func noAllocs(t *testing.T, f Field, e *Event, pe *parsers.Event) {
	t.Helper()
	e.reset(pe, 0)
	f.get(e)
	if n := testing.AllocsPerRun(100, func() { e.reset(pe, 0); f.get(e) }); n != 0 {
		t.Errorf("%s allocates %v times", f.Name, n)
	}
}

// TestEngine_twoEnginesShareNothing runs two engines over one config's
// rules on two goroutines (the race detector watches): per-event values
// such as the client's network are each engine's own.
func TestEngine_twoEnginesShareNothing(t *testing.T) {
	net := LookupField("client_net")
	rules := []Rule{{Name: "nets", Type: Rate, Window: 10 * time.Second, Threshold: 1e9, GroupBy: &net,
		Match: &CIDR{Field: LookupField("client_ip"), Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}}
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Go(func() {
			eng, err := NewEngine(rules, Options{})
			if err != nil {
				t.Error(err)
				return
			}
			var e parsers.Event
			for i := range 20_000 {
				e.Reset()
				e.Time = t0.Add(time.Duration(i) * time.Millisecond)
				e.ClientIP = fmt.Appendf(nil, "10.%d.%d.1", g, i%250)
				eng.Observe(&e)
			}
			eng.Flush()
			if keys := eng.View()[0].Keys; len(keys) == 0 || !strings.HasPrefix(keys[0].Key, fmt.Sprintf("10.%d.", g)) {
				t.Errorf("engine %d: top networks %v, want its own", g, keys)
			}
		})
	}
	wg.Wait()
}

// TestEngine_idleRulesCostLittle builds an engine of 3,000 rules with
// group_by and a distinct count over 10-minute windows, the kind of config
// a generator writes: before any event, each rule must cost a few
// kilobytes (its ring of counts), not its summaries' capacity (0.9 MB a
// rule once made 3,000 rules cost 2.8 GB).
func TestEngine_idleRulesCostLittle(t *testing.T) {
	ip := LookupField("client_ip")
	rules := make([]Rule, 3000)
	for i := range rules {
		rules[i] = Rule{Name: fmt.Sprintf("r%d", i), Type: Rate, Window: 10 * time.Minute, Threshold: 1,
			Match: NewEquals(LookupField("path"), []string{fmt.Sprintf("/p%d", i)}), GroupBy: &ip, DistinctOf: &ip}
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	e, err := NewEngine(rules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	// Events that match no rule but the first still open every rule's window.
	for i := range 100 {
		e.Observe(&parsers.Event{Time: time.Unix(int64(1_800_000_000+i), 0).UTC(), Path: []byte("/p0"), ClientIP: []byte(fmt.Sprintf("10.0.0.%d", i))})
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(e)
	if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 48<<20 {
		t.Errorf("3,000 idle rules take %d MiB of heap, want ≤ 48 MiB", grew>>20)
	}
}

// TestEngine_futureLine: one line dated years ahead of its neighbours must
// not move the clock there; the flood after it still fires. A log that
// really jumps (a quiet site's next line hours later) moves the clock.
func TestEngine_futureLine(t *testing.T) {
	s := time.Second
	years := 100 * 365 * 24 * time.Hour
	flood := burst(60*s, 10*s, 300, "10.0.%d.1")
	tests := []struct {
		name       string
		events     []ev
		wantFiring time.Duration // when the flood's alert fires; 0: none
		wantFuture uint64
	}{
		{"a lone line years ahead, then a flood",
			concat(burst(0, 30*s, 30, "a"), []ev{{at: years, ip: "future"}}, flood), 63300 * time.Millisecond, 1},
		{"the first line of the log years ahead",
			concat([]ev{{at: years, ip: "future"}}, burst(0, 30*s, 30, "a"), flood), 63300 * time.Millisecond, 1},
		{"two lines years ahead are still a lone jump",
			concat(burst(0, 30*s, 30, "a"), []ev{{at: years, ip: "f1"}, {at: years + s, ip: "f2"}}, flood), 63300 * time.Millisecond, 2},
		{"a real gap of three hours, confirmed by the lines after it",
			concat(burst(0, 30*s, 30, "a"), burst(3*time.Hour, 10*s, 300, "10.0.%d.1")), 3*time.Hour + 3300*time.Millisecond, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, eng := replay(t, rateRule(10*s, 10), tt.events, Options{})
			if len(got) == 0 || got[0].State != alert.Firing || got[0].At != tt.wantFiring {
				t.Errorf("transitions = %v, want firing at %v first", got, tt.wantFiring)
			}
			st := eng.Stats()
			if st.Future != tt.wantFuture || st.Events != uint64(len(tt.events)) {
				t.Errorf("Stats() = %d events, %d future; want %d, %d", st.Events, st.Future, len(tt.events), tt.wantFuture)
			}
			if st.Rules[0].Matched != st.Events-st.Future {
				t.Errorf("rule counted %d events, want %d", st.Rules[0].Matched, st.Events-st.Future)
			}
		})
	}
}

// TestEngine_firesOnTheEvent: a crossing fires on the event that makes it,
// for a rate, a per-key rate and (after its warm-up) a baseline, with the
// figures of the window up to that event; a rule with for: still waits.
func TestEngine_firesOnTheEvent(t *testing.T) {
	s := time.Second
	t.Run("per-key", func(t *testing.T) {
		r := rateRule(10*s, 5) // 50 requests from one client within 10 s
		r.PerKey, r.GroupBy = true, ipField()
		events := byTime(concat(burst(0, 20*s, 400, "10.0.0.%d"), burst(2*s, 4*s, 60, "203.0.113.7")))
		got, full, _ := replay(t, r, events, Options{})
		// The offender's 50th request, 2 s + 49 × 4s/60 in.
		if len(got) == 0 || got[0].State != alert.Firing || got[0].At != 2*s+4*s*49/60 {
			t.Fatalf("transitions = %v, want firing on the 50th request at 5.266s", got)
		}
		if a := full[0]; a.Value != 5 || len(a.Keys) == 0 || a.Keys[0].Key != "203.0.113.7" || a.Keys[0].Count != 50 {
			t.Errorf("alert value %v, keys %v; want 5/s from 203.0.113.7 (50)", a.Value, a.Keys)
		}
	})
	t.Run("baseline after its warm-up", func(t *testing.T) {
		r := Rule{Name: "b", Type: Rate, Window: 10 * s, Baseline: &Baseline{Factor: 4, Floor: 5, Warmup: time.Minute, HalfLife: time.Hour}}
		events := concat(burst(0, 120*s, 240, "a"), burst(120*s, 5*s, 500, "b")) // 2/s, then 100/s
		got, full, _ := replay(t, r, events, Options{})
		if len(got) == 0 || got[0].State != alert.Firing || got[0].At >= 121*s || got[0].At < 120*s {
			t.Fatalf("transitions = %v, want firing within the burst's first second", got)
		}
		if a := full[0]; a.Value < a.Threshold || a.Threshold < 5 {
			t.Errorf("alert %v against %v, want past the learned threshold", a.Value, a.Threshold)
		}
	})
	t.Run("distinct", func(t *testing.T) {
		// 100 addresses, each once, over 2 s (50 a second): the 40th
		// distinct address crosses. The bound left out the oldest bucket's
		// events only, so the crossing comes on an event within the burst's
		// first second, not at a boundary.
		r := Rule{Name: "d", Type: Distinct, Field: ipField(), Window: 10 * s, Threshold: 40}
		events := concat(burst(0, 30*s, 30, "10.0.0.1"), burst(30*s+s/4, 2*s, 100, "198.51.100.%d"))
		got, full, _ := replay(t, r, events, Options{})
		if len(got) == 0 || got[0].State != alert.Firing || got[0].At%s == 0 || got[0].At < 30*s+s/4 || got[0].At > 31*s+s/2 {
			t.Fatalf("transitions = %v, want firing on an event of the burst, before its boundary", got)
		}
		if a := full[0]; a.Value < 40 || a.Value > 45 {
			t.Errorf("alert value %v, want about 40 distinct", a.Value)
		}
	})
	t.Run("for: waits for its boundary", func(t *testing.T) {
		r := rateRule(10*s, 10)
		r.For = 3 * s
		got, _, _ := replay(t, r, burst(0, 20*s, 400, "a"), Options{})
		// Pending from the first boundary past the crossing (t0+5s: 100
		// events at 20/s), firing from the first event 3 s later.
		if len(got) == 0 || got[0].At != 8*s {
			t.Fatalf("transitions = %v, want firing at 8s", got)
		}
	})
}

// countingCond counts its evaluations.
type countingCond struct{ n *int }

func (c countingCond) Match(*Event) bool { *c.n++; return true }

// TestEngine_sharedMatcherOncePerEvent: a named block that three rules use
// is evaluated once per event.
func TestEngine_sharedMatcherOncePerEvent(t *testing.T) {
	var calls int
	shared := &Shared{Name: "posts", ID: 0, Cond: countingCond{&calls}}
	var rules []Rule
	for i := range 3 {
		r := rateRule(10*time.Second, 1000)
		r.Name, r.Match = fmt.Sprint("r", i), All{shared}
		rules = append(rules, r)
	}
	eng, err := NewEngine(rules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var e parsers.Event
	for i := range 100 {
		e.Reset()
		e.Time = t0.Add(time.Duration(i) * time.Millisecond)
		eng.Observe(&e)
	}
	eng.Flush()
	if calls != 100 {
		t.Errorf("the shared block was evaluated %d times for 100 events, want 100", calls)
	}
}

// TestEngine_lateEventPerKey: a late event (within the skew) of a per-key
// rule, whose newest bucket holds no key yet, is counted without a crash
// and decided at the next boundary.
func TestEngine_lateEventPerKey(t *testing.T) {
	s := time.Second
	r := rateRule(10*s, 1)
	r.PerKey, r.GroupBy = true, ipField()
	events := []ev{{at: 10500 * time.Millisecond, ip: ""}}
	for i := range 20 {
		events = append(events, ev{at: 8*s + time.Duration(i)*time.Millisecond, ip: "203.0.113.7"})
	}
	got, _, eng := replay(t, r, events, Options{})
	if len(got) == 0 || got[0].State != alert.Firing || got[0].At != 11*s {
		t.Errorf("transitions = %v, want firing at the boundary after", got)
	}
	if st := eng.Stats(); st.Rules[0].Matched != 21 {
		t.Errorf("matched %d, want 21", st.Rules[0].Matched)
	}
}

// TestEngine_dropRuleOrder: a drop rule listed before the rule that
// alerts a flood learns what it learns listed after it. The rise rule
// turns pending at a boundary; the drop rule, evaluated there first, learned that
// boundary's value (the flood's first second in its window) before the
// attack was noted, and its warm-up normal, a plain average, kept it.
// Rules that look down are evaluated last at each boundary, in the
// engine as in the fleet's evaluator.
func TestEngine_dropRuleOrder(t *testing.T) {
	any := NewEquals(LookupField("method"), []string{"GET", "POST"})
	// With a for:, the rise rule turns pending at a boundary, never on an
	// event (which notes the attack before any boundary).
	posts := Rule{Name: "posts", Type: Rate, Window: 10 * time.Second, Match: any, Severity: alert.Warning, For: 5 * time.Second,
		Baseline: &Baseline{Factor: 10, Floor: 1, Warmup: 30 * time.Minute, WarmupFloor: 3, HalfLife: 6 * time.Hour}}
	drop := Rule{Name: "drop", Type: Rate, Window: 10 * time.Second, Match: any, Severity: alert.Critical,
		Baseline: &Baseline{Down: true, Factor: 10, Floor: 0.1, Warmup: 20 * time.Minute, HalfLife: time.Hour}}
	const flood, floodEnd = 3 * 60_000, 4 * 60_000 // ms
	run := func(rules ...Rule) (normal []float64, fired []string) {
		eng, err := NewEngine(rules, Options{
			Trace: func(ev Evaluation) {
				if ev.Rule == "drop" {
					normal = append(normal, ev.Baseline)
				}
			},
			Emit: func(a alert.Alert) {
				if a.State == alert.Firing && a.Rule == "drop" {
					fired = append(fired, a.Time.Sub(t0).String())
				}
			}})
		if err != nil {
			t.Fatal(err)
		}
		var e parsers.Event
		for ms := 0; ms < int((time.Hour).Milliseconds()); ms += 10 {
			every := 500 // 2/s
			if ms >= flood && ms < floodEnd {
				every = 10 // the flood, 100/s for a minute
			}
			if ms%every != 0 {
				continue
			}
			e.Reset()
			e.Kind, e.Time, e.Method = parsers.KindRequest, t0.Add(time.Duration(ms)*time.Millisecond), []byte("POST")
			eng.Observe(&e)
		}
		eng.Flush()
		return normal, fired
	}
	after, firedAfter := run(posts, drop)
	before, firedBefore := run(drop, posts)
	if len(firedAfter)+len(firedBefore) > 0 {
		t.Errorf("the drop rule fired after the flood: listed after %v, before %v", firedAfter, firedBefore)
	}
	if !slices.Equal(before, after) {
		i := 0
		for i < min(len(before), len(after)) && before[i] == after[i] {
			i++
		}
		t.Errorf("the drop rule's normal differs by its place in the config from its evaluation %d on: listed first %v, last %v",
			i, before[i:min(i+3, len(before))], after[i:min(i+3, len(after))])
	}
}
