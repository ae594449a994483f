package detector

import (
	"fmt"
	"testing"

	"github.com/sentinel-dev/sentinel/parsers"
)

// TestAgentMarks follows keys' user agents through a window's buckets: one
// user agent over at least oneAgentMin requests is one client; a second
// one (in another bucket or the same), or none, is not; a bucket leaving
// the window takes its marks; a key that takes over another's slot in a
// bucket's summary does not inherit its marks, and when its requests
// there were not looked at, or a bucket was restored without marks, the
// answer is no; the window's oldest complete bucket counts.
func TestAgentMarks(t *testing.T) {
	// Two keys a bucket, so that a third evicts one.
	w := newWindow(10, true, true, 2, nil)
	a := newAgentMarks(&w)
	w.expired = a.expired
	f := LookupField("client_ip")
	var x Event
	status := 0 // the requests' status (0: none)
	// count adds times requests to bucket n; marked: the marks see them
	// (unmarked: as a snapshot restores a bucket's keys).
	count := func(n int64, key, ua string, times int, marked bool) {
		t.Helper()
		w.open(n)
		for range times {
			pe := parsers.Event{ClientIP: []byte(key), UserAgent: []byte(ua), Status: status}
			x.reset(&pe, 0)
			slot, ok := w.add(n, []byte(key), &x, &f)
			if !ok {
				t.Fatalf("bucket %d: not counted", n)
			}
			if marked {
				a.add(slot, []byte(key), &x)
			}
		}
	}
	add := func(n int64, key, ua string, times int) {
		t.Helper()
		count(n, key, ua, times, true)
	}
	check := func(key string, want bool) {
		t.Helper()
		if got := a.program([]byte(key)); got != want {
			t.Errorf("program(%s) = %v, want %v", key, got, want)
		}
	}
	const curl, chrome = "curl/8.11.1", "Mozilla/5.0 Chrome/155.0.0.0"
	// each adds times requests in each of buckets from to to: 40 a
	// bucket are 5 looked at (the 3rd, 5th, 9th, 17th and 33rd).
	each := func(from, to int64, key, ua string, times int) {
		t.Helper()
		for n := from; n <= to; n++ {
			add(n, key, ua, times)
		}
	}

	each(0, 2, "10.0.0.1", curl, 40)
	check("10.0.0.1", false) // 15 looked at
	add(3, "10.0.0.1", curl, 40)
	check("10.0.0.1", true)
	add(4, "10.0.0.1", chrome, 5)
	check("10.0.0.1", false)
	// The window slides past the mixed bucket: one user agent again, the
	// first bucket in the ring slot the mixed one held.
	each(15, 18, "10.0.0.1", curl, 40)
	check("10.0.0.1", true)

	// No user agent is no sign of one program.
	each(19, 22, "10.0.0.2", "-", 40)
	check("10.0.0.2", false)
	each(19, 22, "10.0.0.3", "", 40)
	check("10.0.0.3", false)

	// 10.0.0.4 mixes user agents in bucket 23; 10.0.0.5 evicts it from
	// the bucket's two slots and takes its slot: its marks are its own.
	add(23, "10.0.0.4", curl, 4)
	add(23, "10.0.0.4", chrome, 4)
	add(23, "10.0.0.6", chrome, 40)
	add(23, "10.0.0.5", curl, 200) // from 9 (8 inherited): 5 looked at
	if _, _, ok := w.ring[w.index(23)].keys.Get([]byte("10.0.0.4")); ok {
		t.Fatal("10.0.0.4 still in the bucket: the test evicts nothing")
	}
	each(24, 26, "10.0.0.5", curl, 40)
	check("10.0.0.5", true) // 20 with bucket 23's

	// 10.0.1.3 takes 10.0.1.1's slot at 11 (10 inherited) and sends 4
	// more, none looked at (the 3rd, 5th, 9th, 17th…): nothing tells what
	// that bucket carried.
	each(30, 33, "10.0.1.3", curl, 40)
	check("10.0.1.3", true)
	add(34, "10.0.1.1", curl, 10)
	add(34, "10.0.1.2", chrome, 40)
	add(34, "10.0.1.3", chrome, 5)
	check("10.0.1.3", false)

	// A second user agent within a bucket.
	add(40, "10.0.2.1", curl, 4)
	add(40, "10.0.2.1", chrome, 40)
	each(41, 44, "10.0.2.1", curl, 40)
	check("10.0.2.1", false)

	// Just past a boundary the window's oldest complete bucket counts.
	add(50, "10.0.3.1", chrome, 40)
	each(51, 59, "10.0.3.1", curl, 40)
	w.open(60)
	check("10.0.3.1", false)

	// A bucket restored from a snapshot has keys and no marks.
	each(70, 73, "10.0.4.1", curl, 40)
	check("10.0.4.1", true)
	count(74, "10.0.4.1", curl, 40, false)
	check("10.0.4.1", false)

	// A scanner drawing a new user agent for each request, answered 404
	// (at least half of what was looked at), is one program; the same
	// requests answered 200, or 401s to a native app's users, are not.
	scan := func(from, to int64, key string, st int, agent func(i int) string) {
		t.Helper()
		status = st
		defer func() { status = 0 }()
		for n := from; n <= to; n++ {
			for i := range 40 {
				add(n, key, agent(i), 1)
			}
		}
	}
	nikto := func(i int) string { return fmt.Sprintf("Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:%06d)", i) }
	app := func(i int) string { return fmt.Sprintf("ShopApp/5.%d (iPhone; iOS 18.1; Scale/3.00)", i%3) }
	scan(100, 103, "10.0.5.1", 404, nikto)
	check("10.0.5.1", true)
	scan(110, 113, "10.0.5.2", 200, nikto)
	check("10.0.5.2", false)
	scan(120, 123, "10.0.5.3", 401, app)
	check("10.0.5.3", false)
	// Half refused is enough; under half is people's.
	scan(130, 131, "10.0.5.4", 404, nikto)
	scan(132, 133, "10.0.5.4", 200, nikto)
	check("10.0.5.4", true)
	scan(140, 140, "10.0.5.5", 404, nikto)
	scan(141, 143, "10.0.5.5", 200, nikto)
	check("10.0.5.5", false)
}
