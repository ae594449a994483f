package detector

import (
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
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
