package parsers

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRails_Decode(t *testing.T) {
	started := `I, [2025-03-02T10:15:04.078901 #4]  INFO -- : [5b1e0c7a-6f0e-4b55-9a8e-2f3c1d9e7a10] Started POST "/users?src=ad" for 203.0.113.9 at 2025-03-02 10:15:04 +0000`
	tests := []struct {
		name  string
		opts  Options
		max   int
		lines []string
		want  []string // one summary per event: "line kind method path status client"
	}{
		{
			name: "tagged pair",
			lines: []string{
				started,
				`I, [2025-03-02T10:15:04.081007 #4]  INFO -- : [5b1e0c7a-6f0e-4b55-9a8e-2f3c1d9e7a10] Processing by RegistrationsController#create as HTML`,
				`I, [2025-03-02T10:15:04.119004 #4]  INFO -- : [5b1e0c7a-6f0e-4b55-9a8e-2f3c1d9e7a10] Completed 302 Found in 41ms (ActiveRecord: 9.8ms)`,
			},
			want: []string{"3 request POST /users 302 203.0.113.9"},
		},
		{
			name: "interleaved by tag",
			lines: []string{
				`[aaaaaaaaaaaaaaaaaaaa] Started GET "/a" for 192.0.2.1 at 2025-03-02 10:15:04 +0000`,
				`[bbbbbbbbbbbbbbbbbbbb] Started GET "/b" for 192.0.2.2 at 2025-03-02 10:15:04 +0000`,
				`[bbbbbbbbbbbbbbbbbbbb] Completed 404 Not Found in 2ms`,
				`[aaaaaaaaaaaaaaaaaaaa] Completed 200 OK in 9ms`,
			},
			want: []string{"3 request GET /b 404 192.0.2.2", "4 request GET /a 200 192.0.2.1"},
		},
		{
			name: "same process id, threads: by start time",
			lines: []string{
				`I, [2025-03-02T10:15:05.000100 #7]  INFO -- : Started POST "/login" for 192.0.2.10 at 2025-03-02 10:15:05 +0000`,
				`I, [2025-03-02T10:15:05.000200 #8]  INFO -- : Started POST "/login" for 192.0.2.12 at 2025-03-02 10:15:05 +0000`,
				`I, [2025-03-02T10:15:05.015000 #7]  INFO -- : Started POST "/login" for 192.0.2.11 at 2025-03-02 10:15:05 +0000`,
				`I, [2025-03-02T10:15:05.020000 #7]  INFO -- : Completed 401 Unauthorized in 19ms`,
				`I, [2025-03-02T10:15:05.021000 #8]  INFO -- : Completed 200 OK in 20ms`,
				`I, [2025-03-02T10:15:05.040000 #7]  INFO -- : Completed 302 Found in 24ms`,
			},
			want: []string{"4 request POST /login 401 192.0.2.10", "5 request POST /login 200 192.0.2.12", "6 request POST /login 302 192.0.2.11"},
		},
		{
			// A slow request, then a quick one of another thread that ends
			// first: each Completed line goes to the request that started
			// its duration before it.
			name: "same process id, out of order",
			lines: []string{
				`I, [2025-03-02T10:15:05.000100 #7]  INFO -- : Started GET "/report" for 192.0.2.10 at 2025-03-02 10:15:05 +0000`,
				`I, [2025-03-02T10:15:05.100000 #7]  INFO -- : Started POST "/login" for 192.0.2.11 at 2025-03-02 10:15:05 +0000`,
				`I, [2025-03-02T10:15:05.100500 #7]  INFO -- : Processing by SessionsController#create as HTML`,
				`I, [2025-03-02T10:15:05.120000 #7]  INFO -- : Completed 401 Unauthorized in 19ms`,
				`I, [2025-03-02T10:15:05.900000 #7]  INFO -- : Completed 200 OK in 899ms`,
			},
			want: []string{"4 request POST /login 401 192.0.2.11", "5 request GET /report 200 192.0.2.10"},
		},
		{
			// One process, one request at a time (Unicorn, Passenger): a
			// request blocked before its Completed line (Rack::Attack)
			// must not take the next request's status, nor that one its
			// follower's.
			name: "same process id, a request never completed",
			lines: []string{
				`I, [2025-03-02T10:15:05.000100 #7]  INFO -- : Started POST "/users" for 192.0.2.66 at 2025-03-02 10:15:05 +0000`,
				`I, [2025-03-02T10:15:05.010000 #7]  INFO -- : Started GET "/" for 192.0.2.10 at 2025-03-02 10:15:05 +0000`,
				`I, [2025-03-02T10:15:05.030000 #7]  INFO -- : Completed 200 OK in 18ms`,
				`I, [2025-03-02T10:15:05.040000 #7]  INFO -- : Started POST "/login" for 192.0.2.11 at 2025-03-02 10:15:05 +0000`,
				`I, [2025-03-02T10:15:05.060000 #7]  INFO -- : Completed 401 Unauthorized in 18ms`,
				`I, [2025-03-02T10:16:06.000000 #7]  INFO -- : Started GET "/" for 192.0.2.12 at 2025-03-02 10:16:06 +0000`,
			},
			want: []string{"3 request GET / 200 192.0.2.10", "5 request POST /login 401 192.0.2.11",
				"6 request POST /users 0 192.0.2.66", "0 request GET / 0 192.0.2.12"},
		},
		{
			name: "no tags, no prefix: in order",
			lines: []string{
				`Started GET "/" for 127.0.0.1 at 2012-03-10 14:28:14 +0100`,
				`Processing by HomeController#index as HTML`,
				`  Rendered layouts/_top.html.erb (2.6ms)`,
				`Completed 200 OK in 79ms (Views: 78.8ms | ActiveRecord: 0.0ms)`,
			},
			want: []string{"4 request GET / 200 127.0.0.1"},
		},
		{
			name: "routing error is a 404",
			lines: []string{
				`[6d0e9f8a-1b2c-4d3e-8f4a-5b6c7d8e9f0a] Started GET "/wp-login.php" for 192.0.2.201 at 2025-03-02 10:15:06 +0000`,
				`[6d0e9f8a-1b2c-4d3e-8f4a-5b6c7d8e9f0a] ActionController::RoutingError (No route matches [GET] "/wp-login.php"):`,
			},
			want: []string{"2 request GET /wp-login.php 404 192.0.2.201"},
		},
		{
			name: "never completed: after 60 s of event time",
			lines: []string{
				`[aaaaaaaaaaaaaaaaaaaa] Started POST "/users" for 192.0.2.1 at 2025-03-02 10:15:04 +0000`,
				`[bbbbbbbbbbbbbbbbbbbb] Started GET "/" for 192.0.2.2 at 2025-03-02 10:16:05 +0000`,
			},
			want: []string{"2 request POST /users 0 192.0.2.1", "0 request GET / 0 192.0.2.2"},
		},
		{
			name:  "max pending",
			max:   1,
			lines: []string{`[aaaaaaaaaaaaaaaaaaaa] Started GET "/1" for 192.0.2.1`, `[bbbbbbbbbbbbbbbbbbbb] Started GET "/2" for 192.0.2.2`},
			want:  []string{"2 request GET /1 0 192.0.2.1", "0 request GET /2 0 192.0.2.2"},
		},
		{
			name: "client with a zone, or with a port, is no client",
			lines: []string{
				`Started GET "/" for fe80::1%eth0 at 2025-03-02 10:15:04 +0000`,
				`Completed 200 OK in 1ms`,
				`Started GET "/" for 192.0.2.1:5000 at 2025-03-02 10:15:04 +0000`,
				`Completed 200 OK in 1ms`,
			},
			want: []string{"2 request GET / 200 -", "4 request GET / 200 192.0.2.1"},
		},
		{
			name: "app lines are messages",
			lines: []string{
				`I, [2025-03-02T10:15:04.110233 #4]  INFO -- : [5b1e0c7a-6f0e-4b55-9a8e-2f3c1d9e7a10] user registered id=4812`,
				`[5b1e0c7a-6f0e-4b55-9a8e-2f3c1d9e7a10] Redirected to https://shop.example.com/?a=b`,
			},
			want: []string{"1 message   0 -", "2 message   0 -"},
		},
		{
			name: "Heroku router lines are ignored, app lines read",
			lines: []string{
				`2025-03-02T10:15:09.281220+00:00 app[web.1]: [9c0a4f6e-2d51-4a8f-8b1c-0e3f5a7d9b21] Started POST "/users" for 203.0.113.9 at 2025-03-02 10:15:09 +0000`,
				`2025-03-02T10:15:09.402210+00:00 app[web.1]: [9c0a4f6e-2d51-4a8f-8b1c-0e3f5a7d9b21] Completed 302 Found in 118ms`,
				`2025-03-02T10:15:09.404122+00:00 heroku[router]: at=info method=POST path="/users" fwd="203.0.113.9" status=302`,
			},
			want: []string{"2 request POST /users 302 203.0.113.9"},
		},
		{
			name:  "not rails",
			lines: []string{`level=info msg=hello`, `GET / HTTP/1.1`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRails(tt.opts)
			r.MaxPending = tt.max
			var got []string
			n := 0
			emit := func(ev *Event) {
				ip := string(ev.ClientIP)
				if ip == "" {
					ip = "-"
				}
				got = append(got, strings.Join([]string{strconv.Itoa(n), ev.Kind.String(), string(ev.Method), string(ev.Path), strconv.Itoa(ev.Status), ip}, " "))
			}
			for i, l := range tt.lines {
				n = i + 1
				_ = r.Decode([]byte(l), emit)
			}
			n = 0
			r.Flush(emit)
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

func TestRails_times(t *testing.T) {
	// The Logger prefix has no zone; the Started line's "at" stamp does.
	// The offset learned from the first Started line moves later prefix
	// times to UTC. A request is stamped at its end: its start plus the
	// Completed line's duration.
	r := NewRails(Options{})
	var times []time.Time
	emit := func(ev *Event) { times = append(times, ev.Time) }
	for _, l := range []string{
		`I, [2025-03-02T03:15:04.500000 #4]  INFO -- : [aaaaaaaaaaaaaaaaaaaa] Started GET "/" for 192.0.2.1 at 2025-03-02 03:15:04 -0700`,
		`I, [2025-03-02T03:15:04.700000 #4]  INFO -- : [aaaaaaaaaaaaaaaaaaaa] Completed 200 OK in 200ms`,
		`I, [2025-03-02T03:15:05.100000 #4]  INFO -- : something else`,
	} {
		if err := r.Decode([]byte(l), emit); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Time{time.Date(2025, 3, 2, 10, 15, 4, 700000000, time.UTC), time.Date(2025, 3, 2, 10, 15, 5, 100000000, time.UTC)}
	if len(times) != 2 || !times[0].Equal(want[0]) || !times[1].Equal(want[1]) {
		t.Errorf("times = %v, want %v", times, want)
	}
}

func TestRails_errors(t *testing.T) {
	for _, tt := range []struct {
		line  string
		field string // "" for ErrMalformed
		err   error
	}{
		{`[aaaaaaaaaaaaaaaaaaaa] Started GET bad line`, "request", nil},
		{`[aaaaaaaaaaaaaaaaaaaa] Completed 2x0 OK in 3ms`, "status", nil},
		{`just text`, "", ErrMalformed},
		{`[aaaaaaaaaaaaaaaaaaaa]   Parameters: {"a"=>"b"}`, "", ErrIgnored},
		{`[aaaaaaaaaaaaaaaaaaaa] Completed 200 OK in 3ms`, "", ErrIgnored}, // its Started line came before the input
		{``, "", ErrIgnored},
	} {
		err := NewRails(Options{}).Decode([]byte(tt.line), func(*Event) { t.Errorf("%q emitted an event", tt.line) })
		var le *LineError
		switch {
		case tt.field != "":
			if !errors.As(err, &le) || le.Field != tt.field {
				t.Errorf("Decode(%q) = %v, want a %s error", tt.line, err, tt.field)
			}
		case !errors.Is(err, tt.err):
			t.Errorf("Decode(%q) = %v, want %v", tt.line, err, tt.err)
		}
	}
}

func TestRails_allocs(t *testing.T) {
	lines := readLines(t, "testdata/rails_render.log")
	r := NewRails(Options{})
	for _, l := range lines { // warm the slots
		_ = r.Decode(l, func(*Event) {})
	}
	i := 0
	allocs := testing.AllocsPerRun(200, func() {
		_ = r.Decode(lines[i%len(lines)], func(*Event) {})
		i++
	})
	if allocs != 0 {
		t.Errorf("%v allocs per Decode, want 0", allocs)
	}
}

// FuzzRails decodes multi-line inputs and checks that every Started line
// becomes exactly one request, that pending requests stay bounded, and
// that events keep their invariants.
func FuzzRails(f *testing.F) {
	for _, file := range []string{"testdata/rails.log", "testdata/rails_render.log", "testdata/heroku_rails.log"} {
		lines := seedLines(f, file)
		for _, l := range lines {
			f.Add(l)
		}
		f.Add(strings.Join(lines, "\n"))
	}
	f.Fuzz(func(t *testing.T, input string) {
		r := NewRails(Options{})
		r.MaxPending = 3
		requests := uint64(0)
		check := func(ev *Event) {
			if ev.Kind == KindRequest {
				requests++
				if len(ev.Method) == 0 || ev.Path == nil {
					t.Fatalf("request %q %q: %q", ev.Method, ev.Path, ev.Raw)
				}
			}
			checkEventInvariants(t, string(ev.Raw), ev)
		}
		for line := range strings.SplitSeq(input, "\n") {
			emitted := 0
			err := r.Decode([]byte(line), func(ev *Event) {
				emitted++
				if ev.Kind == KindMessage && string(ev.Raw) != strings.TrimRight(line, " \t\r\n") {
					t.Fatalf("message Raw = %q, want the line %q", ev.Raw, line)
				}
				check(ev)
			})
			if err != nil {
				var le *LineError
				if !errors.Is(err, ErrIgnored) && !errors.As(err, &le) {
					t.Fatalf("Decode(%q) = %v, want ErrIgnored or a *LineError", line, err)
				}
				if emitted != 0 {
					t.Fatalf("Decode(%q) = %v after emitting %d events", line, err, emitted)
				}
			}
			if r.table.count > r.MaxPending {
				t.Fatalf("%d requests pending, max %d", r.table.count, r.MaxPending)
			}
		}
		r.Flush(check)
		if r.table.count != 0 {
			t.Fatalf("%d pending after Flush", r.table.count)
		}
		if requests != r.starts {
			t.Fatalf("%d requests emitted for %d Started lines", requests, r.starts)
		}
	})
}

func BenchmarkRails(b *testing.B) {
	benchmarkDecoder(b, NewRails(Options{}), "testdata/rails_render.log")
}
