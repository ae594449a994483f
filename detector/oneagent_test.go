package detector

import (
	"testing"

	"github.com/sentinel-dev/sentinel/parsers"
)

// TestAgentMarks follows keys' user agents through a window's buckets: one
// user agent over at least oneAgentMin requests is one client; a second
// one, or none, is not; a bucket leaving the window takes its marks; a key
// that takes over another's slot in a bucket's summary does not inherit
// its marks.
func TestAgentMarks(t *testing.T) {
	// Two keys a bucket, so that a third evicts one.
	w := newWindow(10, true, true, 2, nil)
	a := newAgentMarks(&w)
	w.expired = a.expired
	f := LookupField("client_ip")
	var x Event
	add := func(n int64, key, ua string, times int) {
		t.Helper()
		w.open(n)
		for range times {
			pe := parsers.Event{ClientIP: []byte(key), UserAgent: []byte(ua)}
			x.reset(&pe, 0)
			slot, ok := w.add(n, []byte(key), &x, &f)
			if !ok {
				t.Fatalf("bucket %d: not counted", n)
			}
			a.add(slot, []byte(key), &x)
		}
	}
	check := func(key string, want bool) {
		t.Helper()
		if got := a.oneAgent([]byte(key)); got != want {
			t.Errorf("oneAgent(%s) = %v, want %v", key, got, want)
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
}
