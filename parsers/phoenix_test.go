package parsers

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // zone rules for the DST cases, wherever the test runs

	"github.com/google/go-cmp/cmp"
)

// Test inputs (testdata/phoenix.log, testdata/fly_phoenix.log): the
// "GET /" request with "hello from the page controller" is real (AppSignal
// blog, 2023, see shared/notes/log-formats.md §9), as are the Fly lines
// "subprocess exited, litestream shutting down" (Simon Willison's TIL) and
// "{cacerts,undefined}] …" (mattstubbs.net), §8. The other lines are
// illustrative: built from the documented formats with made-up values.

// phoenixRecord is what one Decode or Flush call produced: an event or an
// error, as the table tests below compare it (golden files are
// golden_test.go's goldenEvent).
type phoenixRecord struct {
	Line      int               `json:"line,omitempty"`  // input line (1-based) of the Decode call
	Flush     bool              `json:"flush,omitempty"` // emitted by Flush
	Err       string            `json:"error,omitempty"`
	Kind      string            `json:"kind,omitempty"`
	Time      string            `json:"time,omitempty"`
	ClientIP  string            `json:"client_ip,omitempty"`
	Method    string            `json:"method,omitempty"`
	Path      string            `json:"path,omitempty"`
	Query     string            `json:"query,omitempty"`
	Status    *int              `json:"status,omitempty"` // set for requests
	Duration  string            `json:"duration,omitempty"`
	RequestID string            `json:"request_id,omitempty"`
	Level     string            `json:"level,omitempty"`
	Message   string            `json:"message,omitempty"`
	Extra     map[string]string `json:"extra,omitempty"`
	Raw       string            `json:"raw,omitempty"`
}

func newPhoenixRecord(line int, ev *Event) phoenixRecord {
	r := phoenixRecord{
		Line:      line,
		Flush:     line == 0,
		Kind:      ev.Kind.String(),
		ClientIP:  string(ev.ClientIP),
		Method:    string(ev.Method),
		Path:      string(ev.Path),
		Query:     string(ev.Query),
		RequestID: string(ev.RequestID),
		Level:     string(ev.Level),
		Message:   string(ev.Message),
		Raw:       string(ev.Raw),
	}
	if !ev.Time.IsZero() {
		r.Time = ev.Time.Format(time.RFC3339Nano)
	}
	if ev.Kind == KindRequest {
		st := ev.Status
		r.Status = &st
	}
	if ev.Duration >= 0 {
		r.Duration = ev.Duration.String()
	}
	for _, f := range ev.Extra {
		if r.Extra == nil {
			r.Extra = make(map[string]string)
		}
		r.Extra[f.Name] = string(f.Value)
	}
	return r
}

// phoenixRun decodes lines with p, flushes, and returns every record.
func phoenixRun(tb testing.TB, p *Phoenix, lines []string) []phoenixRecord {
	tb.Helper()
	var out []phoenixRecord
	for i, l := range lines {
		n := len(out)
		err := p.Decode([]byte(l), func(ev *Event) { out = append(out, newPhoenixRecord(i+1, ev)) })
		if err != nil {
			if len(out) != n {
				tb.Errorf("Decode(%q) = %v and emitted %d events, want none", l, err, len(out)-n)
			}
			out = append(out, phoenixRecord{Line: i + 1, Err: err.Error()})
		}
	}
	p.Flush(func(ev *Event) { out = append(out, newPhoenixRecord(0, ev)) })
	return out
}

func phoenixStatus(n int) *int { return &n }

const phoenixIgnored = "not an event line"

func TestPhoenix_Decode(t *testing.T) {
	day := time.Date(2024, 10, 14, 0, 0, 0, 0, time.UTC)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	notPhoenix := malformed("phoenix").Error()
	tests := []struct {
		name       string
		opts       Options
		maxPending int
		lines      []string
		want       []phoenixRecord
	}{
		{
			name: "join",
			opts: Options{Date: day},
			lines: []string{
				"14:02:11.412 request_id=GAq3k1Zc7oXbdVcAABJh [info] POST /users/register",
				"14:02:11.419 request_id=GAq3k1Zc7oXbdVcAABJh [info] Sent 302 in 7ms",
			},
			want: []phoenixRecord{{
				Line: 2, Kind: "request", Time: "2024-10-14T14:02:11.419Z", Method: "POST",
				Path: "/users/register", Status: phoenixStatus(302), Duration: "7ms",
				RequestID: "GAq3k1Zc7oXbdVcAABJh", Level: "info",
			}},
		},
		{
			name: "interleaved",
			opts: Options{Date: day},
			lines: []string{
				"10:00:00.001 request_id=AAAAAAAAAAAAAAAAAAAA [info] GET /a",
				"10:00:00.002 request_id=BBBBBBBBBBBBBBBBBBBB [info] POST /b",
				"10:00:00.003 request_id=AAAAAAAAAAAAAAAAAAAA [info] working on a",
				"10:00:00.004 request_id=BBBBBBBBBBBBBBBBBBBB [info] Sent 201 in 2ms",
				"10:00:00.005 request_id=AAAAAAAAAAAAAAAAAAAA [info] Sent 200 in 4ms",
			},
			want: []phoenixRecord{
				{Line: 3, Kind: "message", Time: "2024-10-14T10:00:00.003Z", RequestID: "AAAAAAAAAAAAAAAAAAAA", Level: "info", Message: "working on a"},
				{Line: 4, Kind: "request", Time: "2024-10-14T10:00:00.004Z", Method: "POST", Path: "/b", Status: phoenixStatus(201), Duration: "2ms", RequestID: "BBBBBBBBBBBBBBBBBBBB", Level: "info"},
				{Line: 5, Kind: "request", Time: "2024-10-14T10:00:00.005Z", Method: "GET", Path: "/a", Status: phoenixStatus(200), Duration: "4ms", RequestID: "AAAAAAAAAAAAAAAAAAAA", Level: "info"},
			},
		},
		{
			name: "sent without start",
			opts: Options{Date: day},
			lines: []string{
				"10:00:00.004 request_id=BBBBBBBBBBBBBBBBBBBB [info] Sent 201 in 2ms",
				"[info] Sent 200 in 1ms",
			},
			want: []phoenixRecord{{Line: 1, Err: phoenixIgnored}, {Line: 2, Err: phoenixIgnored}},
		},
		{
			name: "start without sent flushed",
			opts: Options{Date: day},
			lines: []string{
				"10:00:00.001 request_id=AAAAAAAAAAAAAAAAAAAA [info] GET /a",
				"10:00:00.002 request_id=BBBBBBBBBBBBBBBBBBBB [info] GET /b",
				"10:00:00.003 [info] POST /c",
			},
			want: []phoenixRecord{
				{Flush: true, Kind: "request", Time: "2024-10-14T10:00:00.003Z", Method: "GET", Path: "/a", Status: phoenixStatus(0), RequestID: "AAAAAAAAAAAAAAAAAAAA", Level: "info"},
				{Flush: true, Kind: "request", Time: "2024-10-14T10:00:00.003Z", Method: "GET", Path: "/b", Status: phoenixStatus(0), RequestID: "BBBBBBBBBBBBBBBBBBBB", Level: "info"},
				{Flush: true, Kind: "request", Time: "2024-10-14T10:00:00.003Z", Method: "POST", Path: "/c", Status: phoenixStatus(0), Level: "info"},
			},
		},
		{
			name: "evicted after 60s",
			opts: Options{Date: day},
			lines: []string{
				"10:00:00.000 request_id=AAAAAAAAAAAAAAAAAAAA [info] GET /a",
				"10:00:30.000 request_id=BBBBBBBBBBBBBBBBBBBB [info] GET /b",
				"10:01:00.000 [info] exactly 60 s after /a: it still waits",
				"10:01:00.001 [info] now /a is too old",
				"10:01:30.000 request_id=BBBBBBBBBBBBBBBBBBBB [info] Sent 200 in 60000ms",
				"10:01:30.001 request_id=AAAAAAAAAAAAAAAAAAAA [info] Sent 200 in 90001ms",
			},
			want: []phoenixRecord{
				{Line: 3, Kind: "message", Time: "2024-10-14T10:01:00Z", Level: "info", Message: "exactly 60 s after /a: it still waits"},
				{Line: 4, Kind: "request", Time: "2024-10-14T10:01:00Z", Method: "GET", Path: "/a", Status: phoenixStatus(0), RequestID: "AAAAAAAAAAAAAAAAAAAA", Level: "info"},
				{Line: 4, Kind: "message", Time: "2024-10-14T10:01:00.001Z", Level: "info", Message: "now /a is too old"},
				// A Sent line joins its start even when it took longer than 60 s.
				{Line: 5, Kind: "request", Time: "2024-10-14T10:01:30Z", Method: "GET", Path: "/b", Status: phoenixStatus(200), Duration: "1m0s", RequestID: "BBBBBBBBBBBBBBBBBBBB", Level: "info"},
				{Line: 6, Err: phoenixIgnored},
			},
		},
		{
			name:       "evicted at MaxPending",
			opts:       Options{Date: day},
			maxPending: 2,
			lines: []string{
				"10:00:00.001 request_id=AAAAAAAAAAAAAAAAAAAA [info] GET /a",
				"10:00:00.002 request_id=BBBBBBBBBBBBBBBBBBBB [info] GET /b",
				"10:00:00.003 request_id=CCCCCCCCCCCCCCCCCCCC [info] GET /c",
				"10:00:00.004 request_id=AAAAAAAAAAAAAAAAAAAA [info] Sent 200 in 3ms",
				"10:00:00.005 request_id=CCCCCCCCCCCCCCCCCCCC [info] Sent 200 in 2ms",
			},
			want: []phoenixRecord{
				{Line: 3, Kind: "request", Time: "2024-10-14T10:00:00.003Z", Method: "GET", Path: "/a", Status: phoenixStatus(0), RequestID: "AAAAAAAAAAAAAAAAAAAA", Level: "info"},
				{Line: 4, Err: phoenixIgnored},
				{Line: 5, Kind: "request", Time: "2024-10-14T10:00:00.005Z", Method: "GET", Path: "/c", Status: phoenixStatus(200), Duration: "2ms", RequestID: "CCCCCCCCCCCCCCCCCCCC", Level: "info"},
				{Flush: true, Kind: "request", Time: "2024-10-14T10:00:00.005Z", Method: "GET", Path: "/b", Status: phoenixStatus(0), RequestID: "BBBBBBBBBBBBBBBBBBBB", Level: "info"},
			},
		},
		{
			name: "clock jumps back",
			opts: Options{Date: day},
			lines: []string{
				"2024-10-14 10:00:00.000 request_id=AAAAAAAAAAAAAAAAAAAA [info] GET /a",
				"2024-10-14 09:59:00.000 request_id=BBBBBBBBBBBBBBBBBBBB [info] GET /b",
				"2024-10-13 10:00:00.000 [info] the day before: a new stream",
			},
			want: []phoenixRecord{
				{Line: 3, Kind: "request", Time: "2024-10-14T10:00:00Z", Method: "GET", Path: "/a", Status: phoenixStatus(0), RequestID: "AAAAAAAAAAAAAAAAAAAA", Level: "info"},
				{Line: 3, Kind: "request", Time: "2024-10-14T09:59:00Z", Method: "GET", Path: "/b", Status: phoenixStatus(0), RequestID: "BBBBBBBBBBBBBBBBBBBB", Level: "info"},
				{Line: 3, Kind: "message", Time: "2024-10-13T10:00:00Z", Level: "info", Message: "the day before: a new stream"},
			},
		},
		{
			name: "request_id reused",
			opts: Options{Date: day},
			lines: []string{
				"10:00:00.001 request_id=AAAAAAAAAAAAAAAAAAAA [info] POST /users/register",
				"10:00:00.002 request_id=AAAAAAAAAAAAAAAAAAAA [info] POST /users/register",
				"10:00:00.003 request_id=AAAAAAAAAAAAAAAAAAAA [info] Sent 302 in 2ms",
			},
			want: []phoenixRecord{
				{Line: 2, Kind: "request", Time: "2024-10-14T10:00:00.002Z", Method: "POST", Path: "/users/register", Status: phoenixStatus(0), RequestID: "AAAAAAAAAAAAAAAAAAAA", Level: "info"},
				{Line: 3, Kind: "request", Time: "2024-10-14T10:00:00.004Z", Method: "POST", Path: "/users/register", Status: phoenixStatus(302), Duration: "2ms", RequestID: "AAAAAAAAAAAAAAAAAAAA", Level: "info"},
			},
		},
		{
			name: "midnight rollover",
			opts: Options{Date: day},
			lines: []string{
				"23:59:59.900 request_id=AAAAAAAAAAAAAAAAAAAA [info] GET /a",
				"00:00:00.100 request_id=AAAAAAAAAAAAAAAAAAAA [info] Sent 200 in 200ms",
				"23:59:59.990 [info] a late line from the day before",
				"00:00:00.050 [info] a small step back is interleaving",
				"13:00:00.000 [info] afternoon",
				"00:59:00.000 [info] more than 12 h back: the next day",
			},
			want: []phoenixRecord{
				{Line: 2, Kind: "request", Time: "2024-10-15T00:00:00.1Z", Method: "GET", Path: "/a", Status: phoenixStatus(200), Duration: "200ms", RequestID: "AAAAAAAAAAAAAAAAAAAA", Level: "info"},
				{Line: 3, Kind: "message", Time: "2024-10-14T23:59:59.99Z", Level: "info", Message: "a late line from the day before"},
				{Line: 4, Kind: "message", Time: "2024-10-15T00:00:00.05Z", Level: "info", Message: "a small step back is interleaving"},
				{Line: 5, Kind: "message", Time: "2024-10-15T13:00:00Z", Level: "info", Message: "afternoon"},
				{Line: 6, Kind: "message", Time: "2024-10-16T00:59:00Z", Level: "info", Message: "more than 12 h back: the next day"},
			},
		},
		{
			name: "local time across DST",
			opts: Options{Date: time.Date(2024, 3, 10, 0, 0, 0, 0, ny), Location: ny},
			lines: []string{
				"01:59:59.000 [info] EST",
				"03:00:00.000 [info] EDT",
				"2024-11-03 00:30:00.000 [info] a dated line sets the day",
				"02:30:00.000 [info] EST again",
			},
			want: []phoenixRecord{
				{Line: 1, Kind: "message", Time: "2024-03-10T06:59:59Z", Level: "info", Message: "EST"},
				{Line: 2, Kind: "message", Time: "2024-03-10T07:00:00Z", Level: "info", Message: "EDT"},
				{Line: 3, Kind: "message", Time: "2024-11-03T04:30:00Z", Level: "info", Message: "a dated line sets the day"},
				{Line: 4, Kind: "message", Time: "2024-11-03T07:30:00Z", Level: "info", Message: "EST again"},
			},
		},
		{
			name: "date unknown",
			lines: []string{
				"10:00:00.000 request_id=AAAAAAAAAAAAAAAAAAAA [info] GET /a",
				"10:00:59.000 request_id=BBBBBBBBBBBBBBBBBBBB [info] GET /b",
				"10:01:00.001 [info] times of day still expire /a",
				"10:01:00.002 request_id=BBBBBBBBBBBBBBBBBBBB [info] Sent 200 in 1ms",
			},
			want: []phoenixRecord{
				{Line: 3, Kind: "request", Method: "GET", Path: "/a", Status: phoenixStatus(0), RequestID: "AAAAAAAAAAAAAAAAAAAA", Level: "info"},
				{Line: 3, Kind: "message", Level: "info", Message: "times of day still expire /a"},
				{Line: 4, Kind: "request", Method: "GET", Path: "/b", Status: phoenixStatus(200), Duration: "1ms", RequestID: "BBBBBBBBBBBBBBBBBBBB", Level: "info"},
			},
		},
		{
			name: "fly prefix",
			opts: Options{Date: day},
			lines: []string{
				"2024-10-14T23:31:34Z app[6e82541eb56648] syd [info] 14:02:11.412 request_id=GAq3k1Zc7oXbdVcAABJh [info] POST /users/register",
				"2024-10-14T23:31:35Z app[6e82541eb56648] syd [info] request_id=GAq3k1Zc7oXbdVcAABJh [info] Sent 302 in 7ms",
				"2024-10-14T23:31:34Z app[6e82541eb56648] syd [info]                                                {cacerts,undefined}] - {:options, :incompatible, [verify: :verify_peer, cacerts: :undefined]}",
				"2024-10-14T23:31:36.5Z proxy[6e82541eb56648] syd [error] could not find a good candidate within 40 attempts at load balancing",
				"2024-10-14T23:31:37+02:00 app[6e82541eb56648] syd [info] [warn] dev form inside",
				"2024-10-14T23:31:3 app[6e82541eb56648] syd [info] [info] bad stamp",
			},
			want: []phoenixRecord{
				{Line: 2, Kind: "request", Time: "2024-10-14T23:31:34.007Z", Method: "POST", Path: "/users/register", Status: phoenixStatus(302), Duration: "7ms", RequestID: "GAq3k1Zc7oXbdVcAABJh", Level: "info", Extra: map[string]string{"fly_region": "syd", "fly_instance": "6e82541eb56648"}},
				{Line: 3, Err: phoenixIgnored},
				{Line: 4, Kind: "message", Time: "2024-10-14T23:31:36.5Z", Level: "error", Message: "could not find a good candidate within 40 attempts at load balancing", Extra: map[string]string{"fly_region": "syd", "fly_instance": "6e82541eb56648"}},
				{Line: 5, Kind: "message", Time: "2024-10-14T21:31:37Z", Level: "warn", Message: "dev form inside", Extra: map[string]string{"fly_region": "syd", "fly_instance": "6e82541eb56648"}},
				{Line: 6, Err: notPhoenix},
			},
		},
		{
			name: "fly envelope",
			lines: []string{
				`{"event":{"provider":"app"},"fly":{"app":{"instance":"0e286551c30586","name":"x"},"region":"sjc"},"host":"0ad1","log":{"level":"info"},"message":"20:34:38.100 request_id=F1ssWNn62XasBTYAAAEk [info] POST /users/register","timestamp":"2022-09-27T20:34:38.100512967Z"}`,
				`{"message":"20:34:38.106 request_id=F1ssWNn62XasBTYAAAEk user_id=7 [info] user \"bot7@example.com\" registered \ud83d\ude00", "timestamp" : "2022-09-27T20:34:38.106Z"}`,
				`{"fly":{"region":"sjc"},"message":"20:34:38.107 request_id=F1ssWNn62XasBTYAAAEk [info] Sent 302 in 640\u00b5s","timestamp":"2022-09-27T20:34:38.107390117Z"}`,
				`{"log":{"level":"info"},"message":"subprocess exited, litestream shutting down","timestamp":"2022-09-27T20:34:37.252022967Z"}`,
				`{"message":"  Parameters: %{}","timestamp":"2022-09-27T20:34:38.108Z"}`,
				`{"message":"x","timestamp":"yesterday"}`,
				`{"message":"x\q"}`,
				`{"message":"x\q","fly":{}}`,
				`{"timestamp":"2022-09-27T20:34:38.108Z"}`,
				`{"message":"x",`,
			},
			want: []phoenixRecord{
				{Line: 2, Kind: "message", Time: "2022-09-27T20:34:38.106Z", RequestID: "F1ssWNn62XasBTYAAAEk", Level: "info", Message: "user \"bot7@example.com\" registered 😀", Extra: map[string]string{"user_id": "7"}},
				{Line: 3, Kind: "request", Time: "2022-09-27T20:34:38.101152967Z", Method: "POST", Path: "/users/register", Status: phoenixStatus(302), Duration: "640µs", RequestID: "F1ssWNn62XasBTYAAAEk", Level: "info", Extra: map[string]string{"fly_region": "sjc", "fly_instance": "0e286551c30586"}},
				{Line: 4, Kind: "message", Time: "2022-09-27T20:34:37.252022967Z", Level: "info", Message: "subprocess exited, litestream shutting down"},
				{Line: 5, Err: phoenixIgnored},
				{Line: 6, Err: `timestamp: invalid "\"yesterday\""`},
				{Line: 7, Err: notPhoenix},                 // a message without the shipper's timestamp or fly object
				{Line: 8, Kind: "message", Message: `x\q`}, // an unknown escape is kept, as the JSON format keeps it
				{Line: 9, Err: notPhoenix},
				{Line: 10, Err: notPhoenix},
			},
		},
		{
			name: "dev format pairing",
			opts: Options{Date: day},
			lines: []string{
				"[info] GET /",
				"[debug] Processing with MachampWeb.PageController.index/2",
				`  Parameters: %{"arms" => "four"}`,
				"  Pipelines: [:browser]",
				"[info] Sent 200 in 164µs",
				"[info] GET /a",
				"[info] GET /b",
				"[info] Chunked 200 in 3ms",
				"[info] Sent 200 in 1ms",
			},
			want: []phoenixRecord{
				{Line: 2, Kind: "message", Level: "debug", Message: "Processing with MachampWeb.PageController.index/2"},
				{Line: 3, Err: phoenixIgnored},
				{Line: 4, Err: phoenixIgnored},
				{Line: 5, Kind: "request", Method: "GET", Path: "/", Status: phoenixStatus(200), Duration: "164µs", Level: "info"},
				{Line: 7, Kind: "request", Method: "GET", Path: "/a", Status: phoenixStatus(0), Level: "info"},
				{Line: 8, Kind: "request", Method: "GET", Path: "/b", Status: phoenixStatus(200), Duration: "3ms", Level: "info"},
				{Line: 9, Err: phoenixIgnored},
			},
		},
		{
			name: "metadata",
			opts: Options{Date: day},
			lines: []string{
				"10:00:00.000 user_id=42 request_id=AAAAAAAAAAAAAAAAAAAA remote_ip=::ffff:1.2.3.4 [info] user registered",
				"10:00:00.001 request_id=BBBBBBBBBBBBBBBBBBBB mfa=MyApp.Accounts.register_user/1 [info] GET /users/register",
				"10:00:00.002 request_id=BBBBBBBBBBBBBBBBBBBB client_ip=[2001:db8::1] remote_ip=10.0.0.1 [info] Sent 200 in 2ms",
				"10:00:00.003 request_id=CCCCCCCCCCCCCCCCCCCC remote_ip=10.0.0.2 [info] GET /c",
				"10:00:00.004 request_id=CCCCCCCCCCCCCCCCCCCC remote_ip=10.0.0.3 [info] Sent 200 in 2ms",
				"10:00:00.005 path=/a b/c request_id=DDDDDDDDDDDDDDDDDDDD [info] a value with spaces",
				"10:00:00.006 request_id= [info] empty request_id",
			},
			want: []phoenixRecord{
				{Line: 1, Kind: "message", Time: "2024-10-14T10:00:00Z", ClientIP: "1.2.3.4", RequestID: "AAAAAAAAAAAAAAAAAAAA", Level: "info", Message: "user registered", Extra: map[string]string{"user_id": "42"}},
				{Line: 3, Kind: "request", Time: "2024-10-14T10:00:00.003Z", ClientIP: "2001:db8::1", Method: "GET", Path: "/users/register", Status: phoenixStatus(200), Duration: "2ms", RequestID: "BBBBBBBBBBBBBBBBBBBB", Level: "info", Extra: map[string]string{"mfa": "MyApp.Accounts.register_user/1"}},
				{Line: 5, Kind: "request", Time: "2024-10-14T10:00:00.005Z", ClientIP: "10.0.0.2", Method: "GET", Path: "/c", Status: phoenixStatus(200), Duration: "2ms", RequestID: "CCCCCCCCCCCCCCCCCCCC", Level: "info"},
				{Line: 6, Kind: "message", Time: "2024-10-14T10:00:00.005Z", RequestID: "DDDDDDDDDDDDDDDDDDDD", Level: "info", Message: "a value with spaces", Extra: map[string]string{"path": "/a b/c"}},
				{Line: 7, Kind: "message", Time: "2024-10-14T10:00:00.006Z", Level: "info", Message: "empty request_id"},
			},
		},
		{
			name: "levels and durations",
			opts: Options{Date: day},
			lines: []string{
				"10:00:00.000 [warning] w",
				"10:00:00.000 [warn]  padded by $levelpad",
				"10:00:00.000 [notice] n",
				"10:00:00.000 [error] ** (RuntimeError) oops",
				"    (my_app 0.1.0) lib/my_app_web/controllers/page_controller.ex:12: MyAppWeb.PageController.crash/2",
				"10:00:00.000 [info]",
				"[info] GET /us",
				"[info] Sent 204 in 17us",
				"[info] GET /s",
				"[info] Sent 200 in 2s",
				"[info] CONNECTED TO Phoenix.LiveView.Socket in 25µs",
				"[info] GET /users/register?not=phoenix",
				"[info] Sent 200 in 3 ms",
				"[info] Sent 099 in 3ms",
				"[info] Sent mail in 3ms",
				"[info] Sent 2x0 in 3ms",
				"[info] Sent 200 in 3ms",
			},
			want: []phoenixRecord{
				{Line: 1, Kind: "message", Time: "2024-10-14T10:00:00Z", Level: "warning", Message: "w"},
				{Line: 2, Kind: "message", Time: "2024-10-14T10:00:00Z", Level: "warn", Message: "padded by $levelpad"},
				{Line: 3, Kind: "message", Time: "2024-10-14T10:00:00Z", Level: "notice", Message: "n"},
				{Line: 4, Kind: "message", Time: "2024-10-14T10:00:00Z", Level: "error", Message: "** (RuntimeError) oops"},
				{Line: 5, Err: phoenixIgnored},
				{Line: 6, Kind: "message", Time: "2024-10-14T10:00:00Z", Level: "info"},
				{Line: 8, Kind: "request", Method: "GET", Path: "/us", Status: phoenixStatus(204), Duration: "17µs", Level: "info"},
				{Line: 10, Kind: "request", Method: "GET", Path: "/s", Status: phoenixStatus(200), Duration: "2s", Level: "info"},
				{Line: 11, Kind: "message", Level: "info", Message: "CONNECTED TO Phoenix.LiveView.Socket in 25µs"},
				{Line: 13, Err: `duration: invalid "3 ms"`},
				{Line: 14, Err: `status: invalid "099"`},
				{Line: 15, Kind: "message", Level: "info", Message: "Sent mail in 3ms"},
				{Line: 16, Err: `status: invalid "2x0"`},
				{Line: 17, Kind: "request", Method: "GET", Path: "/users/register", Query: "not=phoenix", Status: phoenixStatus(200), Duration: "3ms", Level: "info"},
			},
		},
		{
			name: "not phoenix",
			opts: Options{Date: day},
			lines: []string{
				"",
				"   ",
				"this is not a phoenix line",
				"10:00:00.000",
				"10:00:00.000 [bogus] x",
				"25:00:00.000 [info] x",
				"[info]x",
				"=x [info] x",
				"2024-10-14 [info] x",
				`127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] "GET / HTTP/1.0" 200 2326`,
				"\xff\xfe [info] x",
			},
			want: []phoenixRecord{
				{Line: 1, Err: phoenixIgnored},
				{Line: 2, Err: phoenixIgnored},
				{Line: 3, Err: notPhoenix},
				{Line: 4, Err: notPhoenix},
				{Line: 5, Err: notPhoenix},
				{Line: 6, Err: notPhoenix},
				{Line: 7, Err: notPhoenix},
				{Line: 8, Err: notPhoenix},
				{Line: 9, Err: notPhoenix},
				{Line: 10, Err: notPhoenix},
				{Line: 11, Err: notPhoenix},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := NewPhoenix(tt.opts)
			p.MaxPending = tt.maxPending
			got := phoenixRun(t, p, tt.lines)
			for i := range got {
				got[i].Raw = ""
			}
			if diff := cmp.Diff(tt.want, got, ignoreHint); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPhoenix_Decode_raw(t *testing.T) {
	p := NewPhoenix(Options{})
	start := "10:00:00.001 request_id=AAAAAAAAAAAAAAAAAAAA [info] GET /a"
	got := phoenixRun(t, p, []string{start, "10:00:00.002 request_id=AAAAAAAAAAAAAAAAAAAA [info] Sent 200 in 1ms"})
	if len(got) != 1 || got[0].Raw != start {
		t.Errorf("Raw = %+v, want the start line %q", got, start)
	}
}

func TestPhoenix_Decode_errorType(t *testing.T) {
	p := NewPhoenix(Options{})
	for _, line := range []string{"garbage", "[info] Sent 000 in 1ms", "[info] Sent 200 in 1h"} {
		err := p.Decode([]byte(line), func(*Event) {})
		var le *LineError
		if !errors.As(err, &le) {
			t.Errorf("Decode(%q) = %v, want a *LineError", line, err)
		}
	}
	err := p.Decode([]byte("garbage"), func(*Event) {})
	if !errors.Is(err, ErrMalformed) {
		t.Errorf("Decode(garbage) = %v, want ErrMalformed", err)
	}
}

// TestPhoenix_zero checks that a zero Phoenix works like NewPhoenix(Options{}).
func TestPhoenix_zero(t *testing.T) {
	var p Phoenix
	got := phoenixRun(t, &p, []string{
		"10:00:00.001 request_id=AAAAAAAAAAAAAAAAAAAA [info] GET /a",
		"10:00:00.002 request_id=AAAAAAAAAAAAAAAAAAAA [info] Sent 200 in 1ms",
	})
	if len(got) != 1 || got[0].Status == nil || *got[0].Status != 200 {
		t.Errorf("events = %+v, want one request with status 200", got)
	}
}

// TestPhoenix_manyPending fills and drains the index past several growths,
// in an order that exercises deletion in the middle of probe chains.
func TestPhoenix_manyPending(t *testing.T) {
	p := NewPhoenix(Options{Date: time.Date(2024, 10, 14, 0, 0, 0, 0, time.UTC)})
	p.MaxPending = 1000
	const n = 3000
	var lines []string
	for i := range n {
		lines = append(lines, fmt.Sprintf("10:00:00.000 request_id=R%019d [info] GET /%d", i, i))
	}
	for i := n - 1; i >= 0; i -= 2 { // every other one, newest first
		lines = append(lines, fmt.Sprintf("10:00:00.001 request_id=R%019d [info] Sent 200 in 1ms", i))
	}
	got := phoenixRun(t, p, lines)
	joined, unsent, ignored := 0, 0, 0
	for _, r := range got {
		switch {
		case r.Err == phoenixIgnored:
			ignored++
		case r.Err != "":
			t.Fatalf("unexpected error %+v", r)
		case *r.Status == 200:
			if r.Path != "/"+strings.TrimLeft(r.RequestID[1:], "0") && !(r.Path == "/0" && r.RequestID == "R0000000000000000000") {
				t.Fatalf("joined %+v with the wrong start", r)
			}
			joined++
		default:
			unsent++
		}
	}
	// Requests 0..1999 were evicted at MaxPending; of 2000..2999, the
	// odd ones got their Sent line.
	if joined != 500 || unsent != 2500 || ignored != 1000 {
		t.Errorf("joined, unsent, ignored = %d, %d, %d; want 500, 2500, 1000", joined, unsent, ignored)
	}
	if p.pending() != 0 {
		t.Errorf("pending() = %d after Flush, want 0", p.pending())
	}
}

func TestPhoenix_allocs(t *testing.T) {
	lines := phoenixBenchLines(2000, false)
	lines = append(lines, phoenixBenchLines(2000, true)...)
	p := NewPhoenix(Options{Date: time.Date(2024, 10, 14, 0, 0, 0, 0, time.UTC)})
	emit := func(*Event) {}
	for _, l := range lines { // warm up: slots, index, interned names
		p.Decode(l, emit)
	}
	i := 0
	allocs := testing.AllocsPerRun(len(lines), func() {
		p.Decode(lines[i%len(lines)], emit)
		i++
	})
	if allocs != 0 {
		t.Errorf("Decode allocates %v times per line, want 0", allocs)
	}
}

func FuzzPhoenix(f *testing.F) {
	for _, file := range []string{"testdata/phoenix.log", "testdata/fly_phoenix.log"} {
		lines := seedLines(f, file)
		for _, l := range lines {
			f.Add(l)
		}
		f.Add(strings.Join(lines, "\n"))
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, input string) {
		p := NewPhoenix(Options{Date: time.Date(2024, 11, 3, 0, 0, 0, 0, ny), Location: ny})
		p.MaxPending = 3
		requests := uint64(0)
		check := func(ev *Event) {
			if ev.Kind == KindRequest {
				requests++
				if ev.Status != 0 && (ev.Status < 100 || ev.Status > 999) {
					t.Fatalf("request with status %d: %q", ev.Status, ev.Raw)
				}
				if len(ev.Method) == 0 || len(ev.Path) == 0 || ev.Path[0] != '/' {
					t.Fatalf("request %q %q: %q", ev.Method, ev.Path, ev.Raw)
				}
			}
			if !ev.Time.IsZero() && ev.Time.Location() != time.UTC {
				t.Fatalf("Time %v not in UTC", ev.Time)
			}
			checkClient(t, string(ev.Raw), ev)
		}
		for line := range strings.SplitSeq(input, "\n") {
			emitted := 0
			err := p.Decode([]byte(line), func(ev *Event) { emitted++; check(ev) })
			if err != nil {
				var le *LineError
				if !errors.Is(err, ErrIgnored) && !errors.As(err, &le) {
					t.Fatalf("Decode(%q) = %v, want ErrIgnored or a *LineError", line, err)
				}
				if emitted != 0 {
					t.Fatalf("Decode(%q) = %v after emitting %d events", line, err, emitted)
				}
			}
			if p.table.count > p.MaxPending || p.pending() > p.MaxPending+1 {
				t.Fatalf("%d requests pending (%d with request_id), max %d", p.pending(), p.table.count, p.MaxPending)
			}
		}
		p.Flush(check)
		if p.pending() != 0 {
			t.Fatalf("pending() = %d after Flush", p.pending())
		}
		if requests != p.starts {
			t.Fatalf("%d requests emitted for %d start lines", requests, p.starts)
		}
	})
}

// phoenixBenchLines returns a realistic mix: a sign-up flood of four
// interleaved requests at a time, each with an app message, some debug
// output with continuation lines, other pages, and errors; optionally
// wrapped in Fly's JSON envelope.
func phoenixBenchLines(n int, fly bool) [][]byte {
	var lines []string
	t := 14*time.Hour + 2*time.Minute
	stamp := func() string {
		t += 250 * time.Microsecond
		return fmt.Sprintf("%02d:%02d:%02d.%03d", int(t/time.Hour), int(t/time.Minute%60), int(t/time.Second%60), int(t/time.Millisecond%1000))
	}
	paths := []string{"POST /users/register", "POST /users/register", "POST /users/register", "GET /users/register", "GET /", "POST /users/log-in"}
	for i := 0; len(lines) < n; i += 4 {
		for j := range 4 {
			lines = append(lines, fmt.Sprintf("%s request_id=GAq3k1Zc7oXbd%07d [info] %s", stamp(), i+j, paths[(i+j)%len(paths)]))
		}
		lines = append(lines, fmt.Sprintf("%s request_id=GAq3k1Zc7oXbd%07d [debug] Processing with MyAppWeb.UserRegistrationController.create/2", stamp(), i))
		lines = append(lines, `  Parameters: %{"user" => %{"email" => "bot@example.com", "password" => "[FILTERED]"}}`)
		lines = append(lines, "  Pipelines: [:browser]")
		for j := range 4 {
			lines = append(lines, fmt.Sprintf("%s request_id=GAq3k1Zc7oXbd%07d user_id=%d [info] user registered", stamp(), i+j, i+j))
			lines = append(lines, fmt.Sprintf("%s request_id=GAq3k1Zc7oXbd%07d [info] Sent 302 in %dms", stamp(), i+j, 3+j))
		}
		if i%40 == 0 {
			lines = append(lines, fmt.Sprintf("%s [warning] Postgrex.Protocol (#PID<0.2531.0>) disconnected", stamp()))
		}
	}
	out := make([][]byte, len(lines))
	last := ""
	for i, l := range lines {
		if l[0] != ' ' {
			last = l[:12]
		}
		if fly {
			m, _ := json.Marshal(l)
			l = fmt.Sprintf(`{"event":{"provider":"app"},"fly":{"app":{"instance":"0e286551c30586","name":"sentinel-demo"},"region":"sjc"},"host":"0ad1","log":{"level":"info"},"message":%s,"timestamp":"2024-10-14T%s000000Z"}`, m, last)
		}
		out[i] = []byte(l)
	}
	return out
}

func BenchmarkPhoenix(b *testing.B) {
	for _, bc := range []struct {
		name string
		fly  bool
	}{{"plain", false}, {"fly_json", true}} {
		b.Run(bc.name, func(b *testing.B) {
			lines := phoenixBenchLines(10000, bc.fly)
			size := 0
			for _, l := range lines {
				size += len(l)
			}
			p := NewPhoenix(Options{Date: time.Date(2024, 10, 14, 0, 0, 0, 0, time.UTC)})
			events := 0
			emit := func(*Event) { events++ }
			b.SetBytes(int64(size / len(lines)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				p.Decode(lines[n%len(lines)], emit)
				n++
			}
			b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lines/s")
			b.ReportMetric(float64(events)/float64(n), "events/line")
		})
	}
}

func ExampleNewPhoenix() {
	p := NewPhoenix(Options{Date: time.Date(2024, 10, 14, 0, 0, 0, 0, time.UTC)})
	emit := func(ev *Event) {
		t := ev.Time.Format(time.RFC3339Nano)
		if ev.Kind == KindRequest {
			fmt.Printf("%s %s %s %d %v\n", t, ev.Method, ev.Path, ev.Status, ev.Duration)
			return
		}
		fmt.Printf("%s [%s] %s\n", t, ev.Level, ev.Message)
	}
	for _, line := range []string{
		"14:02:11.412 request_id=GAq3k1Zc7oXbdVcAABJh [info] POST /users/register",
		"14:02:11.415 request_id=GAq3k1Zc7oXbdVcAABJh [info] user registered",
		"14:02:11.419 request_id=GAq3k1Zc7oXbdVcAABJh [info] Sent 302 in 7ms",
		"14:02:12.001 request_id=GAq3k1Zc7oXbdVcAABJi [info] POST /users/register",
	} {
		if err := p.Decode([]byte(line), emit); err != nil {
			fmt.Println(err)
		}
	}
	p.Flush(emit)
	// Output:
	// 2024-10-14T14:02:11.415Z [info] user registered
	// 2024-10-14T14:02:11.419Z POST /users/register 302 7ms
	// 2024-10-14T14:02:12.001Z POST /users/register 0 -1ns
}

// TestPhoenix_errorReport: a request that raises has an error report
// instead of its Sent line; it is emitted at once, as a 500, before the
// report's own message event.
func TestPhoenix_errorReport(t *testing.T) {
	p := NewPhoenix(Options{Date: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)})
	var got []string
	emit := func(ev *Event) { got = append(got, fmt.Sprintf("%s %s %d", ev.Kind, ev.Path, ev.Status)) }
	for _, l := range []string{
		"01:20:00.100 request_id=AAAAAAAAAAAAAAAAAAAA [info] POST /users/register",
		"01:20:00.120 request_id=AAAAAAAAAAAAAAAAAAAA [error] ** (DBConnection.ConnectionError) connection not available",
		"01:20:00.130 request_id=BBBBBBBBBBBBBBBBBBBB [error] ** an error of no waiting request",
	} {
		if err := p.Decode([]byte(l), emit); err != nil {
			t.Fatalf("Decode(%q) = %v", l, err)
		}
	}
	p.Flush(emit)
	want := []string{"request /users/register 500", "message  0", "message  0"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("events = %q, want %q", got, want)
	}
}
