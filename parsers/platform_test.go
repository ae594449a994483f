package parsers

import (
	"testing"
	"time"
)

func TestParsePlatform(t *testing.T) {
	for _, tt := range []struct {
		line                         string
		ok                           bool
		form                         platformForm
		time, source, proc, msg, lvl string
	}{
		{`2017-01-13T02:37:11.213639+00:00 heroku[router]: at=info method=GET`, true, formHeroku, "2017-01-13T02:37:11.213639Z", "heroku", "router", "at=info method=GET", ""},
		{`2017-01-13T02:37:11.207969+00:00 app[web.1]: Completed 200 OK in 8ms`, true, formHeroku, "2017-01-13T02:37:11.207969Z", "app", "web.1", "Completed 200 OK in 8ms", ""},
		{`<158>1 2014-08-04T18:28:43.078581+00:00 host heroku router - at=info`, true, formHeroku, "2014-08-04T18:28:43.078581Z", "heroku", "router", "at=info", ""},
		{`83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up`, true, formHeroku, "2012-11-30T06:45:29Z", "app", "web.3", "State changed from starting to up", ""},
		{`<0>1 2021-03-31T16:00:00-08:00 test-service cron-12345 74440 cron-12345 - hello this is a test`, true, formSyslog, "2021-04-01T00:00:00Z", "cron-12345", "74440", "hello this is a test", "emerg"},
		{`<134>1 2021-03-31T16:00:00Z h a p m [x@1 k="v"] hello`, true, formSyslog, "2021-03-31T16:00:00Z", "a", "p", "hello", "info"},
		{`<134>1 - h a p m - no time`, true, formSyslog, "", "a", "p", "no time", "info"},
		{`2024-10-14T23:31:34Z app[6e82541eb56648] syd [info] hello`, true, formFly, "2024-10-14T23:31:34Z", "app", "6e82541eb56648", "hello", "info"},
		{`2024-10-14T23:31:34Z app[6e82541eb56648] [info] hello`, true, formFly, "2024-10-14T23:31:34Z", "app", "6e82541eb56648", "hello", "info"},
		{`2024-10-14 23:31:34 app[x]: hello`, false, 0, "", "", "", "", ""},
		{`2024-10-14T23:31:34Z hello world`, false, 0, "", "", "", "", ""},
		{`<134>1 yesterday h a p m - hello`, false, 0, "", "", "", "", ""},
		{`<x>1 2021-03-31T16:00:00Z h a p m - hello`, false, 0, "", "", "", "", ""},
		{`203.0.113.9 - - [10/Oct/2024:13:55:36 +0000] "GET / HTTP/1.1" 200 1`, false, 0, "", "", "", "", ""},
		{``, false, 0, "", "", "", "", ""},
	} {
		var p platform
		msg, ok := parsePlatform([]byte(tt.line), &p)
		if ok && !mayHaveEnvelope([]byte(tt.line)) {
			t.Errorf("mayHaveEnvelope(%q) = false, but it has one", tt.line)
		}
		if ok != tt.ok {
			t.Errorf("parsePlatform(%q) ok = %v, want %v", tt.line, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		tm := ""
		if p.hasTime {
			tm = p.time.Format("2006-01-02T15:04:05.999999999Z07:00")
		}
		if p.form != tt.form || tm != tt.time || string(p.source) != tt.source || string(p.proc) != tt.proc || string(msg) != tt.msg || string(p.level) != tt.lvl {
			t.Errorf("parsePlatform(%q) = %q, %+v (time %s); want %q, form %d, time %s, source %q, proc %q, level %q",
				tt.line, msg, p, tm, tt.msg, tt.form, tt.time, tt.source, tt.proc, tt.lvl)
		}
	}
}

func TestStartsWithPair(t *testing.T) {
	for in, want := range map[string]bool{
		"method=GET path=/":                    true,
		"pid=4 tid=x INFO: start":              true,
		"sample#load_avg_1m=2.46":              true,
		"source=web.1 sample#load_avg_1m=2.46": true,
		"2024-05-01T18:38:16.031Z pid=4 tid=x": true,
		"Redirected to /?a=b":                  false,
		`Started GET "/?a=b" for 1.2.3.4`:      false,
		"=x":                                   false,
		"user registered":                      false,
		"":                                     false,
	} {
		if got := startsWithPair([]byte(in)); got != want {
			t.Errorf("startsWithPair(%q) = %v, want %v", in, got, want)
		}
	}
}

// FuzzParsePlatform checks that mayHaveEnvelope, the cheap test before
// parsePlatform, never rules out a line parsePlatform takes, and that the
// message parsePlatform returns is the end of the line.
func FuzzParsePlatform(f *testing.F) {
	for _, name := range []string{"heroku_lograge", "heroku_rails", "rails_render", "fly_phoenix"} {
		for _, l := range seedLines(f, "testdata/"+name+".log") {
			f.Add(l)
		}
	}
	f.Fuzz(func(t *testing.T, line string) {
		var p platform
		msg, ok := parsePlatform([]byte(line), &p)
		if !ok {
			return
		}
		if !mayHaveEnvelope([]byte(line)) {
			t.Fatalf("mayHaveEnvelope(%q) = false, but parsePlatform takes it", line)
		}
		if len(msg) > len(line) || line[len(line)-len(msg):] != string(msg) {
			t.Fatalf("parsePlatform(%q) message %q is not the end of the line", line, msg)
		}
		if p.hasTime && p.time.Location() != time.UTC {
			t.Fatalf("parsePlatform(%q) time %v not UTC", line, p.time)
		}
	})
}
