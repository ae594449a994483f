package detector

import (
	"fmt"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/parsers"
)

// TestPrograms: an address is a program's while it sends programs' user
// agents, at most three different ones; a browser's or a native app's
// agent, or a fourth, makes it a relay until its record is a day old; a
// request without a user agent tells nothing and is no program's.
func TestPrograms(t *testing.T) {
	type req struct {
		ip, ua string
		want   bool
		at     time.Duration // from the first request
	}
	for _, tc := range []struct {
		name string
		reqs []req
	}{
		{"one tool", []req{{"10.0.0.5", "curl/8.5.0", true, 0}, {"10.0.0.5", "curl/8.5.0", true, 0}}},
		{"three tools", []req{{"10.0.0.5", "curl/8.5.0", true, 0}, {"10.0.0.5", "Wget/1.21.4", true, 0},
			{"10.0.0.5", "python-requests/2.31.0", true, 0}, {"10.0.0.5", "Wget/1.21.4", true, 0}}},
		{"a fourth agent", []req{{"10.0.0.2", "curl/8.5.0", true, 0}, {"10.0.0.2", "Wget/1.21.4", true, 0},
			{"10.0.0.2", "python-requests/2.31.0", true, 0}, {"10.0.0.2", "HTTPie/3.2.2", false, 0}, {"10.0.0.2", "curl/8.5.0", false, 0}}},
		{"a browser", []req{{"10.0.0.2", "curl/8.5.0", true, 0}, {"10.0.0.2", "Mozilla/5.0 (X11; Linux x86_64)", false, 0},
			{"10.0.0.2", "curl/8.5.0", false, 0}}},
		{"no user agent", []req{{"10.0.0.2", "", false, 0}, {"10.0.0.2", "-", false, 0}, {"10.0.0.2", "curl/8.5.0", true, 0}}},
		{"each address its own", []req{{"10.0.0.2", "Mozilla/5.0", false, 0}, {"10.0.0.5", "curl/8.5.0", true, 0}, {"10.0.0.2", "curl/8.5.0", false, 0}}},
		{"an app's users", []req{{"10.0.0.2", "okhttp/4.12.0", false, 0}, {"10.0.0.2", "curl/8.5.0", false, 0}}},
		// A browser's request from the host (an admin through a tunnel) or
		// a tool's new version is forgotten a day after the record began.
		{"a day later", []req{{"127.0.0.1", "curl/8.5.0", true, 0}, {"127.0.0.1", "Mozilla/5.0 (X11; Linux x86_64)", false, time.Hour},
			{"127.0.0.1", "curl/8.5.0", false, 23 * time.Hour}, {"127.0.0.1", "curl/8.5.0", true, 24 * time.Hour}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPrograms()
			t0 := time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC).UnixNano()
			for i, r := range tc.reqs {
				if got := p.observe([]byte(r.ip), []byte(r.ua), t0+int64(r.at)); got != r.want {
					t.Errorf("request %d (%s, %q): %v, want %v", i, r.ip, r.ua, got, r.want)
				}
			}
		})
	}
	// Bounded: past programsMax addresses the memory begins again.
	p := newPrograms()
	p.observe([]byte("10.0.0.2"), []byte("Mozilla/5.0"), 0)
	for i := range programsMax {
		p.observe(fmt.Appendf(nil, "10.1.%d.%d", i/250, i%250), []byte("curl/8.5.0"), 0)
	}
	if n := len(p.seen); n > programsMax {
		t.Errorf("%d addresses kept, want at most %d", n, programsMax)
	}
	if !p.observe([]byte("10.0.0.2"), []byte("curl/8.5.0"), 0) {
		t.Error("an address forgotten with the memory is still a relay")
	}
}

// TestEvent_programClient: the field gives each event the engine's answer,
// the same however often it is asked (the memo spares the look-ups), and
// says nothing without an address or without an engine.
func TestEvent_programClient(t *testing.T) {
	var pe parsers.Event
	pe.Reset()
	pe.ClientIP, pe.UserAgent = []byte("10.0.0.5"), []byte("curl/8.5.0")
	f := LookupField("program_client")
	if v := f.Bytes(&pe); v != nil {
		t.Errorf("without an engine: %q, want nothing", v)
	}
	ev := &Event{programs: newPrograms()}
	for i := range 5 {
		agents := []string{"curl/8.5.0", "Wget/1.21.4", "python-requests/2.31.0", "HTTPie/3.2.2", "curl/8.5.0"}
		pe.UserAgent = []byte(agents[i])
		ev.reset(&pe, int64(i))
		for range 3 { // asked thrice, the same answer: the fourth agent is the fourth
			got := string(ev.programClient())
			if want := fmt.Sprint(i < 3); got != want {
				t.Fatalf("request %d (%s): %s, want %s", i, agents[i], got, want)
			}
		}
	}
	pe.ClientIP = nil
	ev.reset(&pe, 9)
	if v := ev.programClient(); v != nil {
		t.Errorf("without an address: %q, want nothing", v)
	}
	if !f.state || LookupField("cold").state != true || LookupField("native_app").state {
		t.Error("program_client and cold read the engine's state; native_app does not")
	}
}
