package parsers

import "testing"

func TestStripSyslog(t *testing.T) {
	const access = `81.150.104.130 - - [15/Sep/2021:16:13:46 +0000] "POST /wp-login.php HTTP/1.1" 200 5364 "-" "Mozilla/5.0"`
	tests := []struct {
		name, line, want string
	}{
		// crowdsecurity/hub .tests/http-bf-wordpress-bf (MIT).
		{"rfc3164", "Sep 15 16:13:46 ip-172-31-43-28.us-east-2.compute.internal nginx[2869]: " + access, access},
		{"rfc3164 padded day, no pid", "Feb  6 12:14:14 web nginx: " + access, access},
		{"rfc5424", "<190>1 2021-09-15T16:13:46.000Z web nginx 2869 - - " + access, access},
		{"rfc5424 structured data", `<190>1 2021-09-15T16:13:46Z web nginx 2869 ID47 [ex@32473 a="1"] ` + access, access},
		{"plain", access, access},
		{"vhost named like a month", "Jul.example.com " + access, "Jul.example.com " + access},
		{"not syslog", "Sep 15 garbage", "Sep 15 garbage"},
		{"short", "<1", "<1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(stripSyslog([]byte(tt.line))); got != tt.want {
				t.Errorf("stripSyslog(%q) = %q, want %q", tt.line, got, tt.want)
			}
		})
	}
	var ev Event
	if err := NewCombined().Parse([]byte(tests[0].line), &ev); err != nil || string(ev.ClientIP) != "81.150.104.130" || ev.Status != 200 {
		t.Errorf("Parse(syslog line) = %+v, %v", ev, err)
	}
	if string(ev.Raw) != tests[0].line {
		t.Errorf("Raw = %q, want the whole line", ev.Raw)
	}
}
