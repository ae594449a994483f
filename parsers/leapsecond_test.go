package parsers

import (
	"testing"
	"time"
)

// TestLeapSecond: the time readers take a second of 60 (they bound it at
// 60, not 59), as the second after :59. Leap seconds are inserted at
// 23:59:60 UTC on 30 June or 31 December, so that is where a log shows
// one: it must be read as well as a :60 in the middle of a day, not
// rejected by the check that the day exists (31/Dec 23:59:60 is not
// 1 January's 00:00:00 "rolling over" an impossible date).
func TestLeapSecond(t *testing.T) {
	newYear := time.Date(2017, 1, 1, 0, 0, 0, 0, time.UTC)
	july := time.Date(2015, 7, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		stamp string
		want  time.Time
	}{
		{"10/Oct/2024:13:55:60 +0000", time.Date(2024, 10, 10, 13, 56, 0, 0, time.UTC)}, // read today
		{"01/Jan/2017:00:59:60 +0100", newYear},                                         // read today
		{"31/Dec/2016:23:59:60 +0000", newYear},
		{"30/Jun/2015:23:59:60 +0000", july},
	} {
		if got, ok := parseCLF([]byte(tt.stamp)); !ok || !got.Equal(tt.want) {
			t.Errorf("parseCLF(%q) = %v, %v; want %v", tt.stamp, got, ok, tt.want)
		}
	}
	for _, tt := range []struct {
		stamp string
		want  time.Time
	}{
		{"2024-10-10T13:55:60Z", time.Date(2024, 10, 10, 13, 56, 0, 0, time.UTC)}, // read today
		{"2016-12-31T23:59:60Z", newYear},
		{"2016-12-31T23:59:60.5+00:00", newYear.Add(500 * time.Millisecond)},
		{"2015-06-30 23:59:60,25", july.Add(250 * time.Millisecond)},
	} {
		if got, ok := parseRFC3339([]byte(tt.stamp), time.UTC); !ok || !got.Equal(tt.want) {
			t.Errorf("parseRFC3339(%q) = %v, %v; want %v", tt.stamp, got, ok, tt.want)
		}
	}
	// Through the decoders: the line is a request, not a time error.
	for _, tt := range []struct{ format, line string }{
		{"combined", `203.0.113.9 - - [31/Dec/2016:23:59:60 +0000] "GET / HTTP/1.1" 200 512 "-" "curl/8.5.0"`},
		{"nginx_json", `{"time_iso8601":"2016-12-31T23:59:60+00:00","remote_addr":"203.0.113.9","request":"GET / HTTP/1.1","status":"200"}`},
		{"logfmt", `time=2016-12-31T23:59:60Z level=INFO msg=request method=GET path=/ status=200 remote_addr=203.0.113.9`},
		{"heroku", `2016-12-31T23:59:60.213639+00:00 heroku[router]: at=info method=GET path="/" host=example.herokuapp.com request_id=02d70c8f fwd="203.0.113.9" dyno=web.1 connect=1ms service=24ms status=200 bytes=2981`},
	} {
		dec, err := New(tt.format, Options{})
		if err != nil {
			t.Fatal(err)
		}
		var got []time.Time
		err = dec.Decode([]byte(tt.line), func(ev *Event) { got = append(got, ev.Time) })
		if err != nil || len(got) != 1 || got[0].Before(newYear) || got[0].After(newYear.Add(time.Second)) {
			t.Errorf("%s: Decode(%q) = %v, %v; want one event at %v", tt.format, tt.line, got, err, newYear)
		}
	}
}
