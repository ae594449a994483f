package detector

import (
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/parsers"
)

// TestGate checks on random condition trees and events that a gate and
// what it leaves answer as the condition does, and that what it leaves
// out is what it tests.
func TestGate(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	method, path, status := LookupField("method"), LookupField("path"), LookupField("status")
	methods := []string{"GET", "POST", "HEAD", ""}
	paths := []string{"/", "/login", "/signup", "/api/v1/login"}
	statuses := []int{0, 200, 401, 404}
	pick := func(list []string) []string {
		var out []string
		for _, s := range list {
			if rng.IntN(2) == 0 {
				out = append(out, s)
			}
		}
		if len(out) == 0 {
			out = list[:1]
		}
		return out
	}
	shared := 0
	var tree func(depth int) Cond
	tree = func(depth int) Cond {
		n := rng.IntN(9)
		if depth > 2 {
			n = rng.IntN(4)
		}
		switch n {
		case 8: // one status (what a gate tests), or a range of them
			st := float64(statuses[1+rng.IntN(len(statuses)-1)])
			if rng.IntN(3) == 0 {
				return &Range{Field: status, Ranges: []NumRange{{Min: 400, Max: 499}}}
			}
			return &Range{Field: status, Ranges: []NumRange{{Min: st, Max: st}}}
		case 0:
			return KindIs(parsers.Kind(rng.IntN(2)))
		case 1:
			return NewEquals(method, pick(methods))
		case 2:
			return NewEquals(path, pick(paths))
		case 3:
			return &Regexp{Field: path, Re: regexp.MustCompile(`^/api/`)}
		case 4:
			shared++
			return &Shared{Name: "m", ID: shared - 1, Cond: tree(depth + 1)}
		case 5:
			return Not{Cond: tree(depth + 1)}
		case 6:
			var a Any
			for range 1 + rng.IntN(3) {
				a = append(a, tree(depth+1))
			}
			return a
		}
		var a All
		for range 1 + rng.IntN(4) {
			a = append(a, tree(depth+1))
		}
		return a
	}
	for i := range 2000 {
		c := tree(0)
		g := newGate(c)
		for range 20 {
			pev := &parsers.Event{Kind: parsers.Kind(rng.IntN(2)), Path: []byte(paths[rng.IntN(len(paths))]), Status: statuses[rng.IntN(len(statuses))]}
			if m := methods[rng.IntN(len(methods))]; m != "" {
				pev.Method = []byte(m)
			}
			ev := &Event{Event: pev, memo: make([]uint8, shared)}
			want := c.Match(ev)
			clear(ev.memo)
			if got := g.match(ev); got != want {
				t.Fatalf("tree %d: gate %+v match(%s %s %d kind %d) = %v, want %v", i, g, pev.Method, pev.Path, pev.Status, pev.Kind, got, want)
			}
			clear(ev.memo)
			if want && !g.pass(ev) {
				t.Fatalf("tree %d: gate %+v refuses an event the condition passes", i, g)
			}
		}
	}
}

// TestGate_defaults checks what the gate of a typical rule tests: its
// kind and method, so that the rest is not called for a page load.
func TestGate_defaults(t *testing.T) {
	method, path := LookupField("method"), LookupField("path")
	signup := &Shared{Name: "signup-posts", Cond: All{NewEquals(method, []string{"POST"}), NewEquals(path, []string{"/signup"})}}
	g := newGate(All{KindIs(parsers.KindRequest), signup})
	if !g.kindSet || g.kind != parsers.KindRequest || len(g.methods) != 1 || g.methods[0] != "POST" {
		t.Errorf("gate = %+v, want kind request and method POST", g)
	}
	if g.rest != signup {
		t.Errorf("rest = %#v, want the shared block alone", g.rest)
	}
	// client-denied's: one status, and what is left of the rest.
	st := &Range{Field: LookupField("status"), Ranges: []NumRange{{Min: 401, Max: 401}}}
	notLogin := Not{Cond: signup}
	g = newGate(All{KindIs(parsers.KindRequest), st, notLogin})
	if g.status != 401 || g.methods != nil {
		t.Errorf("gate = %+v, want status 401 and any method", g)
	}
	if n, ok := g.rest.(Not); !ok || n.Cond != signup {
		t.Errorf("rest = %#v, want the not alone", g.rest)
	}
	if g.pass(&Event{Event: &parsers.Event{Kind: parsers.KindRequest, Status: 404}}) {
		t.Error("the gate of status 401 passes a 404")
	}
	if g := newGate(KindIs(parsers.KindRequest)); g.rest != nil {
		t.Errorf("rest of a kind alone = %#v, want nil", g.rest)
	}
	if g := newGate(nil); !g.match(&Event{Event: &parsers.Event{Kind: parsers.KindMessage}}) {
		t.Error("the gate of no condition refuses an event")
	}
}

// TestEngine_gatesManyRules checks that rules past the gate set's 64
// count what their match blocks say, as the first 64 do.
func TestEngine_gatesManyRules(t *testing.T) {
	method := LookupField("method")
	var rules []Rule
	for i := range 70 {
		r := Rule{Name: fmt.Sprintf("r%d", i), Type: Rate, Window: time.Minute, Threshold: 1e9}
		switch i % 3 {
		case 0:
			r.Match = All{KindIs(parsers.KindRequest), NewEquals(method, []string{"POST"})}
		case 1:
			r.Match = KindIs(parsers.KindRequest)
		}
		rules = append(rules, r)
	}
	eng, err := NewEngine(rules, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	methods := []string{"GET", "POST", "GET", "HEAD"}
	for i := range 400 {
		kind := parsers.KindRequest
		if i%5 == 0 {
			kind = parsers.KindMessage
		}
		eng.Observe(&parsers.Event{Time: t0.Add(time.Duration(i) * 100 * time.Millisecond), Kind: kind, Method: []byte(methods[i%4])})
	}
	// Of 400 events, 80 are messages; of the 320 requests, those at i%4 == 1
	// are posts: i odd, i%4 == 1, i%5 != 0.
	posts := 0
	for i := range 400 {
		if i%4 == 1 && i%5 != 0 {
			posts++
		}
	}
	want := map[int]uint64{0: uint64(posts), 1: 320, 2: 400}
	for i, rs := range eng.Stats().Rules {
		if rs.Matched != want[i%3] {
			t.Errorf("rule %s matched %d, want %d", rs.Name, rs.Matched, want[i%3])
		}
	}
}

// TestEquals: a list, short or long (kept by length, or in a set when a
// value is very long), matches exactly its values, and its empty value an
// absent field.
func TestEquals(t *testing.T) {
	path := LookupField("path")
	long := "/" + strings.Repeat("x", maxByLen)
	lists := [][]string{
		{"/login", "/signup"},
		{"/users/register", "/users", "/signup", "/sign_up", "/sign-up", "/register", "/registration", "/join", "/a", "/b"},
		{"", "/x", "/xy", "/xyz", "/wxyz", "/vwxyz", "/uvwxyz", "/tuvwxyz"},
		{"/users/register", "/users", "/signup", "/sign_up", "/sign-up", "/register", "/registration", long},
	}
	probes := []string{"", "/", "/a", "/b", "/c", "/x", "/xy", "/xz", "/users", "/userz", "/users/register", "/users/registe",
		"/users/register/", "/registration", "/registrations", long, long[:len(long)-1], long + "x", strings.Repeat("/", 600)}
	for i, list := range lists {
		c := NewEquals(path, list)
		for _, p := range probes {
			want := slices.Contains(list, p)
			ev := &Event{Event: &parsers.Event{Path: []byte(p)}}
			if p == "" {
				ev.Path = nil
			}
			if got := c.Match(ev); got != want {
				t.Errorf("list %d: Match(%.20q) = %v, want %v", i, p, got, want)
			}
		}
	}
}
