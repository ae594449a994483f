package detector

import (
	"fmt"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/parsers"
)

// TestAlert_network: a firing of a rule grouped by client_ip names the
// network that sent most of its window's events from three or more of its
// addresses (stuffing rotating through a /24 or a /64, which its keys name
// one address at a time); not a spread attack's, nor one or two
// addresses' (the keys name those), nor a per-key rule's.
func TestAlert_network(t *testing.T) {
	s := time.Second
	rule := rateRule(10*s, 2)
	rule.GroupBy = ipField()
	perKey := rule
	perKey.PerKey, perKey.Threshold = true, 2
	for _, tt := range []struct {
		name   string
		rule   Rule
		events []ev
		want   *alert.NetCount
	}{
		{"one /24", rule, concat(burst(0, 10*s, 40, "198.51.100.%d"), burst(0, 10*s, 5, "203.0.%d.9")), &alert.NetCount{Net: "198.51.100.0/24", Count: 30, Addresses: 30}},
		{"one /64", rule, burst(0, 10*s, 40, "2001:db8:7:1::%d"), &alert.NetCount{Net: "2001:db8:7:1::/64", Count: 30, Addresses: 30}},
		{"spread", rule, burst(0, 10*s, 40, "203.0.%d.9"), nil},
		{"two addresses of one /24", rule, concat(burst(0, 10*s, 20, "198.51.100.1"), burst(0, 10*s, 20, "198.51.100.2")), nil},
		{"under half", rule, concat(burst(0, 10*s, 10, "198.51.100.%d"), burst(0, 10*s, 30, "203.0.%d.9")), nil},
		{"per key", perKey, burst(0, 10*s, 40, "198.51.100.1"), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, full, _ := replay(t, tt.rule, byTime(tt.events), Options{})
			if len(full) == 0 || full[0].State != alert.Firing {
				t.Fatalf("alerts %+v, want a firing", full)
			}
			got := full[0].Network
			switch {
			case tt.want == nil && got != nil:
				t.Errorf("Network = %+v, want none", got)
			case tt.want != nil && (got == nil || got.Net != tt.want.Net || got.Addresses < minNetAddresses):
				t.Errorf("Network = %+v, want %s", got, tt.want.Net)
			}
			for _, a := range full[1:] {
				if a.State == alert.Resolved && a.Network != nil {
					t.Errorf("a resolution names %+v: only firings do", a.Network)
				}
			}
		})
	}
}

// TestAlert_networkOfShare: a share's alert names the network of its hits'
// keys (who fails), as its keys are: an office /24 whose many log-ins
// work is not named beside a spread attack's failures; a /24 whose
// addresses fail is.
func TestAlert_networkOfShare(t *testing.T) {
	post := NewEquals(LookupField("method"), []string{"POST"})
	failed := &Range{Field: LookupField("status"), Ranges: []NumRange{{401, 401}}}
	r := Rule{Name: "share", Type: Ratio, GroupBy: ipField(), Window: 5 * time.Minute, Threshold: 0.5, MinEvents: 50,
		Severity: alert.Warning, Match: post, Of: failed}
	for _, tt := range []struct {
		name string
		bot  string // the failing addresses, %d for each try
		want string
	}{{"spread failures beside an office", "203.%d.7.9", ""}, {"one /24 failing", "192.0.2.%d", "192.0.2.0/24"}} {
		t.Run(tt.name, func(t *testing.T) {
			var got []alert.Alert
			eng, err := NewEngine([]Rule{r}, Options{Emit: func(a alert.Alert) { got = append(got, a) }})
			if err != nil {
				t.Fatal(err)
			}
			var e parsers.Event
			send := func(at time.Duration, ip string, status int) {
				e.Reset()
				e.Time, e.ClientIP, e.Method, e.Status = t0.Add(at), []byte(ip), []byte("POST"), status
				eng.Observe(&e)
			}
			for i := range 1500 { // the office's three addresses, 1 post in 20 failing
				at := time.Duration(i) * 500 * time.Millisecond
				status := 302
				if i%20 == 0 {
					status = 401
				}
				send(at, fmt.Sprintf("198.51.100.%d", i%3+1), status)
				if at >= 5*time.Minute { // the bot's failures, one or two per address, 2 a second
					send(at, fmt.Sprintf(tt.bot, i%250+1), 401)
				}
			}
			eng.Flush()
			if len(got) == 0 || got[0].State != alert.Firing {
				t.Fatalf("alerts %+v, want the share firing", got)
			}
			switch n := got[0].Network; {
			case tt.want == "" && n != nil:
				t.Errorf("Network = %+v, want none (the office's log-ins work)", n)
			case tt.want != "" && (n == nil || n.Net != tt.want):
				t.Errorf("Network = %+v, want %s", n, tt.want)
			}
		})
	}
}
