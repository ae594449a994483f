package scenario

import (
	"fmt"
	"testing"
	"time"
)

func alertAt(rule, state, severity string, at time.Time, keys ...string) Alert {
	a := Alert{Rule: rule, State: state, Severity: severity, Time: at}
	for _, k := range keys {
		a.Keys = append(a.Keys, struct {
			Key   string  `json:"key"`
			Count float64 `json:"count"`
		}{k, 1})
	}
	return a
}

func TestJudge(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	sec := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Second) }
	deploy := [2]time.Time{sec(600), sec(620)}
	flood := Truth{Attack: "signup-flood", Start: t0, End: sec(120), Deadline: time.Minute, Evidence: t0}
	brute := Truth{Attack: "stuffing-burst", Start: t0, End: sec(300), Deadline: time.Minute, Offender: "5.9.1.2", OffenderKind: OffenderAddress, Evidence: t0}
	net24 := Truth{Attack: "scraper-24", Start: t0, End: sec(600), Deadline: time.Minute, Offender: "5.9.1.0/24", OffenderKind: OffenderNetwork, Evidence: t0}
	checkout := Truth{Attack: "checkout-outage", Start: t0, End: sec(300), Deadline: time.Minute, Offender: "/api/v1/checkout", OffenderKind: OffenderPath,
		Evidence: sec(90)}
	blastT := Truth{Attack: "marketing-blast", Start: t0, End: sec(1200), MaxSeverity: "warning"}
	tests := []struct {
		name   string
		truth  Truth
		alerts []Alert
		pass   bool
		short  string
	}{
		{"quiet day", Truth{}, nil, true, "quiet"},
		{"false alert", Truth{}, []Alert{alertAt("client-flood", "firing", "warning", sec(5), "1.2.3.4")}, false, "false alert"},
		{"deploy resolved in time", Truth{Deploy: deploy}, []Alert{
			alertAt("5xx-surge", "firing", "critical", sec(610)), alertAt("5xx-surge", "resolved", "critical", sec(660))}, true, "quiet (deploy)"},
		{"deploy resolved late", Truth{Deploy: deploy}, []Alert{
			alertAt("5xx-surge", "firing", "critical", sec(610)), alertAt("5xx-surge", "resolved", "critical", sec(700))}, false, "false alert"},
		{"deploy, two alerts", Truth{Deploy: deploy}, []Alert{
			alertAt("5xx-surge", "firing", "critical", sec(610)), alertAt("5xx-surge", "resolved", "critical", sec(640)),
			alertAt("5xx-surge", "firing", "critical", sec(645)), alertAt("5xx-surge", "resolved", "critical", sec(650))}, false, "false alert"},
		{"deploy, another rule", Truth{Deploy: deploy}, []Alert{
			alertAt("traffic-drop", "firing", "critical", sec(610)), alertAt("traffic-drop", "resolved", "critical", sec(630))}, false, "false alert"},
		{"attack seen", flood, []Alert{alertAt("signup-burst", "firing", "critical", sec(1))}, true, "+1s"},
		{"attack unseen", flood, nil, false, "no alert"},
		{"attack late", flood, []Alert{alertAt("signup-spread", "firing", "critical", sec(61))}, false, "late +1m01s"},
		{"alert before", flood, []Alert{alertAt("login-failure-spread", "firing", "warning", sec(-60)),
			alertAt("signup-burst", "firing", "critical", sec(1))}, false, "false alert"},
		{"drop after the flood", flood, []Alert{alertAt("signup-burst", "firing", "critical", sec(1)),
			alertAt("traffic-drop", "firing", "critical", sec(120).Add(Grace+time.Second))}, false, "false alert"},
		{"within the grace", flood, []Alert{alertAt("signup-burst", "firing", "critical", sec(1)),
			alertAt("traffic-spike", "firing", "warning", sec(120).Add(Grace))}, true, "+1s"},
		{"offender named", brute, []Alert{alertAt("client-flood", "firing", "warning", sec(8), "9.9.9.9", "5.9.1.2")}, true, "+8s"},
		{"offender unnamed", brute, []Alert{alertAt("traffic-spike", "firing", "warning", sec(8))}, false, "unnamed"},
		{"offender named too late", brute, []Alert{alertAt("traffic-spike", "firing", "warning", sec(8)),
			alertAt("client-flood", "firing", "warning", sec(70), "5.9.1.2")}, false, "unnamed"},
		{"network named", net24, []Alert{alertAt("net-flood", "firing", "warning", sec(20), "5.9.1.0/24")}, true, "+20s"},
		{"wider network named", net24, []Alert{alertAt("net-flood", "firing", "warning", sec(20), "5.9.0.0/16")}, true, "+20s"},
		{"far too wide a network", net24, []Alert{alertAt("net-flood", "firing", "warning", sec(20), "5.0.0.0/8")}, false, "unnamed"},
		{"one address of the network", net24, []Alert{alertAt("client-flood", "firing", "warning", sec(20), "5.9.1.7")}, false, "unnamed"},
		{"path, counted from its first line", checkout, []Alert{alertAt("5xx-path", "firing", "critical", sec(140), "/api/v1/checkout")}, true, "+2m20s"},
		{"path late", checkout, []Alert{alertAt("5xx-path", "firing", "critical", sec(151), "/api/v1/checkout")}, false, "late +2m31s"},
		{"dash is no client", flood, []Alert{alertAt("signup-burst", "firing", "critical", sec(1), "-")}, false, "names “-”"},
		{"no trace of the attack", Truth{Attack: "checkout-outage", Start: t0, End: sec(300), Deadline: time.Minute}, nil, true, "no trace"},
		{"blast quiet", blastT, nil, true, "quiet"},
		{"blast warning", blastT, []Alert{alertAt("traffic-spike", "firing", "warning", sec(30))}, true, "warning"},
		{"blast critical", blastT, []Alert{alertAt("signup-spread", "firing", "critical", sec(30))}, false, "critical"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := Judge(tt.truth, tt.alerts)
			if v.Pass != tt.pass || v.Short != tt.short {
				t.Errorf("Judge() = pass %v %q (%s), want pass %v %q", v.Pass, v.Short, v.Reason, tt.pass, tt.short)
			}
		})
	}
}

func ExampleJudge() {
	start := time.Date(2026, 11, 25, 1, 20, 0, 0, time.UTC)
	truth := Truth{Attack: "stuffing-burst", Start: start, End: start.Add(5 * time.Minute), Deadline: time.Minute,
		Offender: "5.9.1.2", OffenderKind: OffenderAddress, Evidence: start}
	alerts := []Alert{alertAt("login-failure-burst", "firing", "critical", start.Add(8*time.Second), "5.9.1.2")}
	v := Judge(truth, alerts)
	fmt.Println(v.Pass, v.Short, "—", v.Reason)
	// Output: true +8s — login-failure-burst (critical) at +8s on 5.9.1.2, names 5.9.1.2
}
