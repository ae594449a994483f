package detector

import (
	"fmt"
	"testing"

	"github.com/sentinel-dev/sentinel/parsers"
)

// TestPrograms: an address is a program's while it sends programs' user
// agents, at most three different ones; a browser's agent, or a fourth,
// makes it a relay for good; a request without a user agent tells
// nothing and is no program's.
func TestPrograms(t *testing.T) {
	type req struct {
		ip, ua string
		want   bool
	}
	for _, tc := range []struct {
		name string
		reqs []req
	}{
		{"one tool", []req{{"10.0.0.5", "curl/8.5.0", true}, {"10.0.0.5", "curl/8.5.0", true}}},
		{"three tools", []req{{"10.0.0.5", "curl/8.5.0", true}, {"10.0.0.5", "Wget/1.21.4", true},
			{"10.0.0.5", "python-requests/2.31.0", true}, {"10.0.0.5", "Wget/1.21.4", true}}},
		{"a fourth agent", []req{{"10.0.0.2", "curl/8.5.0", true}, {"10.0.0.2", "Wget/1.21.4", true},
			{"10.0.0.2", "python-requests/2.31.0", true}, {"10.0.0.2", "okhttp/4.12.0", false}, {"10.0.0.2", "curl/8.5.0", false}}},
		{"a browser", []req{{"10.0.0.2", "curl/8.5.0", true}, {"10.0.0.2", "Mozilla/5.0 (X11; Linux x86_64)", false},
			{"10.0.0.2", "curl/8.5.0", false}}},
		{"no user agent", []req{{"10.0.0.2", "", false}, {"10.0.0.2", "-", false}, {"10.0.0.2", "curl/8.5.0", true}}},
		{"each address its own", []req{{"10.0.0.2", "Mozilla/5.0", false}, {"10.0.0.5", "curl/8.5.0", true}, {"10.0.0.2", "curl/8.5.0", false}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPrograms()
			for i, r := range tc.reqs {
				if got := p.observe([]byte(r.ip), []byte(r.ua)); got != r.want {
					t.Errorf("request %d (%s, %q): %v, want %v", i, r.ip, r.ua, got, r.want)
				}
			}
		})
	}
	// Bounded: past programsMax addresses the memory begins again.
	p := newPrograms()
	p.observe([]byte("10.0.0.2"), []byte("Mozilla/5.0"))
	for i := range programsMax {
		p.observe(fmt.Appendf(nil, "10.1.%d.%d", i/250, i%250), []byte("curl/8.5.0"))
	}
	if n := len(p.seen); n > programsMax {
		t.Errorf("%d addresses kept, want at most %d", n, programsMax)
	}
	if !p.observe([]byte("10.0.0.2"), []byte("curl/8.5.0")) {
		t.Error("an address forgotten with the memory is still a relay")
	}
}

// TestEvent_programClient: the field asks the engine's memory once per
// event, whatever asks it how often, and says nothing without an address
// or without an engine.
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
		agents := []string{"curl/8.5.0", "Wget/1.21.4", "python-requests/2.31.0", "okhttp/4.12.0", "curl/8.5.0"}
		pe.UserAgent = []byte(agents[i])
		ev.reset(&pe, int64(i))
		for range 3 { // asked thrice, recorded once: the fourth agent is the fourth
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
