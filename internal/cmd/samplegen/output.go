package main

import (
	"bytes"
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/internal/scenario"
)

// window keeps the requests nginx logged in [from, to) whose start the app
// also saw in it, in log order (by the time nginx wrote the line).
func window(reqs []request, from, to time.Time) []request {
	var out []request
	for _, q := range reqs {
		if !q.start.Before(from) && q.end().Before(to) {
			out = append(out, q)
		}
	}
	slices.SortStableFunc(out, func(a, b request) int { return a.end().Compare(b.end()) })
	return out
}

// nginxCombined writes reqs in nginx's combined format, times in UTC.
func nginxCombined(reqs []request) []byte {
	var b bytes.Buffer
	for _, q := range reqs {
		fmt.Fprintf(&b, "%s - - [%s] \"%s %s %s\" %d %d \"%s\" \"%s\"\n",
			q.ip, q.end().UTC().Format("02/Jan/2006:15:04:05 -0700"), q.method, q.path, q.proto,
			q.status, q.bytes, q.referer, q.ua)
	}
	return b.Bytes()
}

// phoenixLogger writes the dynamic requests of reqs as Phoenix logs them
// in production with
//
//	config :logger, :default_formatter,
//	  format: "$time $metadata[$level] $message\n",
//	  metadata: [:request_id, :remote_ip]
//
// A request is a start line ("POST /users/register", no query string) and
// a "Sent 302 in 7ms" line; app messages come in between. A crashed
// request has an [error] line instead of its "Sent" line. Lines of
// concurrent requests interleave by time.
func phoenixLogger(reqs []request, seed uint64) []byte {
	type line struct {
		t    time.Time
		seq  int
		text string
	}
	r := rand.New(rand.NewPCG(seed, 0x9d0e_1d5))
	dyn := make([]request, 0, len(reqs))
	for _, q := range reqs {
		if !q.static {
			dyn = append(dyn, q)
		}
	}
	slices.SortStableFunc(dyn, func(a, b request) int { return a.start.Compare(b.start) })

	var lines []line
	counter := uint32(18_000 + r.IntN(2000))
	for _, q := range dyn {
		id := scenario.RequestID(q.start, uint32(r.IntN(1<<24)), counter)
		counter++
		meta := fmt.Sprintf("request_id=%s remote_ip=%s ", id, q.ip)
		path, _, _ := strings.Cut(q.path, "?")
		add := func(t time.Time, level, msg string) {
			lines = append(lines, line{t, len(lines), fmt.Sprintf("%s %s[%s] %s\n", t.Format("15:04:05.000"), meta, level, msg)})
		}
		add(q.start, "info", q.method+" "+path)
		if q.appMsg != "" {
			add(q.start.Add(q.dur*4/5), "info", q.appMsg)
		}
		if q.crash != "" {
			add(q.end(), "error", q.crash)
			continue
		}
		add(q.end(), "info", fmt.Sprintf("Sent %d in %s", q.status, scenario.PhoenixDuration(q.dur)))
	}
	slices.SortFunc(lines, func(a, b line) int {
		return cmp.Or(a.t.Compare(b.t), cmp.Compare(a.seq, b.seq))
	})
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l.text)
	}
	return b.Bytes()
}
