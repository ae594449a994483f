package parsers

import (
	"errors"
	"strings"
	"testing"
)

func TestHeroku_Decode(t *testing.T) {
	h, err := NewHeroku(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		line string
		want evView
	}{
		{
			line: `2017-01-13T02:38:00.000001+00:00 heroku[router]: at=info method=POST path="/users/register?ref=ad" host=x.herokuapp.com fwd="1.2.3.4,71.244.130.75" dyno=web.2 service=112ms status=302 bytes=98`,
			want: evView{Kind: "request", Time: "2017-01-13T02:38:00.000001Z", ClientIP: "71.244.130.75", Host: "x.herokuapp.com", Method: "POST", Path: "/users/register",
				Query: strp("ref=ad"), Status: 302, Bytes: 98, Duration: "112ms", Level: "info", Extra: []string{"dyno=web.2"}},
		},
		{
			// lograge describes the same request: a message, never a second request.
			line: `2017-01-13T02:38:00.000002+00:00 app[web.2]: method=POST path=/users/register format=html controller=UsersController action=create status=302 duration=58.33`,
			want: evView{Kind: "message", Time: "2017-01-13T02:38:00.000002Z", Method: "POST", Path: "/users/register", Status: 302, Bytes: -1, Duration: "58.33ms",
				Extra: []string{"format=html", "controller=UsersController", "action=create", "source=app", "dyno=web.2"}},
		},
		{
			line: `2017-01-13T02:38:00.5+00:00 app[web.2]: level=info msg="user registered" user_id=42`,
			want: evView{Kind: "message", Time: "2017-01-13T02:38:00.5Z", Bytes: -1, Level: "info", Message: "user registered", Extra: []string{"user_id=42", "source=app", "dyno=web.2"}},
		},
		{
			line: `<190>1 2017-01-13T02:38:01+00:00 host app worker.1 - pid=4 tid=gqbf1hfqo class=WelcomeMailerJob jid=b4a0 INFO: start`,
			want: evView{Kind: "message", Time: "2017-01-13T02:38:01Z", Bytes: -1, Level: "INFO", Message: "start",
				Extra: []string{"pid=4", "tid=gqbf1hfqo", "class=WelcomeMailerJob", "jid=b4a0", "source=app", "dyno=worker.1"}},
		},
		{
			line: `2017-01-13T02:38:02+00:00 app[web.1]: I, [2017-01-13T02:38:02.000001 #4]  INFO -- : [7d3b8c1a-1111-4e60-aa62-e0dcccdc095d] Started GET "/" for 71.244.130.75 at 2017-01-13 02:38:02 +0000`,
			want: evView{Kind: "message", Time: "2017-01-13T02:38:02Z", Bytes: -1, Level: "INFO", RequestID: "7d3b8c1a-1111-4e60-aa62-e0dcccdc095d",
				Message: `Started GET "/" for 71.244.130.75 at 2017-01-13 02:38:02 +0000`, Extra: []string{"source=app", "dyno=web.1"}},
		},
		{
			line: `2017-01-13T02:38:03+00:00 app[web.1]: {"level":"warn","msg":"signup rejected","status":422,"reason":"disposable domain"}`,
			want: evView{Kind: "message", Time: "2017-01-13T02:38:03Z", Status: 422, Bytes: -1, Level: "warn", Message: "signup rejected",
				Extra: []string{"reason=disposable domain", "source=app", "dyno=web.1"}},
		},
		{
			line: `2017-01-13T02:38:04+00:00 app[web.1]: Redirected to https://x.herokuapp.com/?a=b`,
			want: evView{Kind: "message", Time: "2017-01-13T02:38:04Z", Bytes: -1, Message: "Redirected to https://x.herokuapp.com/?a=b", Extra: []string{"source=app", "dyno=web.1"}},
		},
	} {
		got, err := decodeFmt(t, h, tt.line)
		if err != nil || len(got) != 1 {
			t.Errorf("Decode(%q) = %v, %v; want one event", tt.line, got, err)
			continue
		}
		if got[0].Kind != tt.want.Kind || got[0].Method != tt.want.Method || got[0].Status != tt.want.Status || got[0].ClientIP != tt.want.ClientIP ||
			got[0].Message != tt.want.Message || got[0].Level != tt.want.Level || strings.Join(got[0].Extra, " ") != strings.Join(tt.want.Extra, " ") ||
			got[0].Time != tt.want.Time || got[0].RequestID != tt.want.RequestID || got[0].Duration != tt.want.Duration {
			t.Errorf("Decode(%q) =\n  %+v\nwant\n  %+v", tt.line, got[0], tt.want)
		}
	}
	for _, line := range []string{`at=info method=GET path=/ status=200`, `<134>1 2021-03-31T16:00:00-08:00 test-service cron-12345 74440 cron-12345 - hello`} {
		if _, err := decodeFmt(t, h, line); !errors.Is(err, ErrMalformed) {
			t.Errorf("Decode(%q) error = %v, want ErrMalformed (no Heroku envelope)", line, err)
		}
	}
}

// FuzzHeroku checks that only the router's lines become requests, and the
// invariants of every event.
func FuzzHeroku(f *testing.F) {
	for _, name := range []string{"heroku_lograge", "heroku_rails", "logfmt_heroku"} {
		for _, l := range seedLines(f, "testdata/"+name+".log") {
			f.Add(l)
		}
	}
	h, err := NewHeroku(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string) {
		emitted := 0
		err := h.Decode([]byte(line), func(ev *Event) {
			emitted++
			if ev.Kind == KindRequest {
				if !mayHaveEnvelope([]byte(line)) {
					t.Fatalf("mayHaveEnvelope(%q) = false", line)
				}
				var w platform
				if _, ok := parsePlatform([]byte(line), &w); !ok || !w.router() {
					t.Fatalf("Decode(%q) gave a request from a line that is not the router's", line)
				}
			}
			if !strings.HasPrefix(line, string(ev.Raw)) {
				t.Fatalf("Decode(%q) Raw = %q", line, ev.Raw)
			}
			if ev.Status != 0 && (ev.Status < 100 || ev.Status > 999) || ev.Bytes < -1 || ev.Duration < -1 || ev.Time.Location().String() != "UTC" {
				t.Fatalf("Decode(%q) = %+v", line, ev)
			}
			checkClient(t, line, ev)
		})
		var le *LineError
		if err != nil && (emitted != 0 || !errors.Is(err, ErrIgnored) && !errors.As(err, &le)) {
			t.Fatalf("Decode(%q) = %v after %d events", line, err, emitted)
		}
	})
}

func BenchmarkHeroku(b *testing.B) {
	h, err := NewHeroku(Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchmarkDecoder(b, h, "testdata/heroku_lograge.log")
}
