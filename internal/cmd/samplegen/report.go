package main

import (
	"bytes"
	"cmp"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"
)

// keyCount is a key and how often it occurred.
type keyCount struct {
	key   string
	count int
}

// countBy counts reqs by key and returns the counts, largest first, ties
// by key.
func countBy(reqs []request, key func(request) string) []keyCount {
	m := map[string]int{}
	for _, q := range reqs {
		m[key(q)]++
	}
	out := make([]keyCount, 0, len(m))
	for k, n := range m {
		out = append(out, keyCount{k, n})
	}
	slices.SortFunc(out, func(a, b keyCount) int { return cmp.Or(cmp.Compare(b.count, a.count), strings.Compare(a.key, b.key)) })
	return out
}

func where(reqs []request, keep func(request) bool) []request {
	var out []request
	for _, q := range reqs {
		if keep(q) {
			out = append(out, q)
		}
	}
	return out
}

func byActor(actor string) func(request) bool {
	return func(q request) bool { return q.actor == actor }
}

func ipPrefix(ip string, octets int) string {
	parts := strings.SplitN(ip, ".", 4)
	return strings.Join(parts[:octets], ".")
}

// statusList formats status counts in status order: "302: 9301, 200: 280".
func statusList(reqs []request) string {
	cs := countBy(reqs, func(q request) string { return fmt.Sprint(q.status) })
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s × %d", c.key, c.count))
	}
	return strings.Join(parts, ", ")
}

// clock formats a time of day with milliseconds.
func clock(t time.Time) string { return t.UTC().Format("15:04:05.000") }

// burstReport describes the requests of one attacking actor, as a
// Markdown list.
func burstReport(reqs []request, top int) string {
	var b strings.Builder
	if len(reqs) == 0 {
		return "- no requests\n"
	}
	first, last := reqs[0], reqs[0]
	firstEnd, lastEnd := reqs[0].end(), reqs[0].end()
	for _, q := range reqs {
		if q.start.Before(first.start) {
			first = q
		}
		if q.start.After(last.start) {
			last = q
		}
		if q.end().Before(firstEnd) {
			firstEnd = q.end()
		}
		if q.end().After(lastEnd) {
			lastEnd = q.end()
		}
	}
	perSec := countBy(reqs, func(q request) string { return q.end().UTC().Format("15:04:05") })
	lo, hi := perSec[len(perSec)-1].count, perSec[0].count
	ips := countBy(reqs, func(q request) string { return q.ip })
	nets16 := countBy(reqs, func(q request) string { return ipPrefix(q.ip, 2) })
	nets24 := countBy(reqs, func(q request) string { return ipPrefix(q.ip, 3) })
	uas := countBy(reqs, func(q request) string { return q.ua })
	refs := countBy(reqs, func(q request) string { return q.referer })

	if paths := countBy(reqs, func(q request) string { return q.path }); len(paths) > 1 {
		dir, _ := path.Split(reqs[0].path)
		fmt.Fprintf(&b, "- requests: **%d** `%s %sNNN`, %d distinct paths\n", len(reqs), reqs[0].method, dir, len(paths))
	} else {
		fmt.Fprintf(&b, "- requests: **%d** `%s %s`\n", len(reqs), reqs[0].method, reqs[0].path)
	}
	fmt.Fprintf(&b, "- first request starts %s, last starts %s (request start, as an app log would show it); nginx lines stamped %s to %s\n",
		clock(first.start), clock(last.start), firstEnd.UTC().Format("15:04:05"), lastEnd.UTC().Format("15:04:05"))
	fmt.Fprintf(&b, "- per second (nginx time): %d seconds, min %d, max %d, mean %.1f\n",
		len(perSec), lo, hi, float64(len(reqs))/float64(len(perSec)))
	byStart := countBy(reqs, func(q request) string { return q.start.UTC().Format("15:04:05") })
	fmt.Fprintf(&b, "- per second by request start: %d seconds, min %d, max %d\n",
		len(byStart), byStart[len(byStart)-1].count, byStart[0].count)
	fmt.Fprintf(&b, "- statuses: %s\n", statusList(reqs))
	fmt.Fprintf(&b, "- distinct client IPs: **%d** in %d /24s and %d /16s (busiest /16: %s.0.0/16 with %d requests)\n",
		len(ips), len(nets24), len(nets16), nets16[0].key, nets16[0].count)
	fmt.Fprintf(&b, "- user agents: %d distinct; referers: %s\n", len(uas), keyList(refs, 3))
	var tops []string
	for _, c := range ips[:min(top, len(ips))] {
		tops = append(tops, fmt.Sprintf("%s (%d)", c.key, c.count))
	}
	fmt.Fprintf(&b, "- top IPs: %s\n", strings.Join(tops, ", "))
	return b.String()
}

// keyList formats up to n counts as "`key` × count".
func keyList(cs []keyCount, n int) string {
	var parts []string
	for _, c := range cs[:min(n, len(cs))] {
		parts = append(parts, fmt.Sprintf("`%s` × %d", c.key, c.count))
	}
	return strings.Join(parts, ", ")
}

// fileReport describes a whole log: lines, size, statuses and who sent
// what.
func fileReport(name string, data []byte, reqs []request) string {
	var b strings.Builder
	fmt.Fprintf(&b, "- `%s`: %d lines, %d bytes\n", name, bytes.Count(data, []byte("\n")), len(data))
	if reqs == nil {
		return b.String()
	}
	fmt.Fprintf(&b, "- all statuses: %s\n", statusList(reqs))
	fmt.Fprintf(&b, "- requests by sender: %s\n", keyList(countBy(reqs, func(q request) string { return q.actor }), 10))
	return b.String()
}

// formReport counts the genuine visitors' posts to the sign-up and log-in
// forms, and the 5xx answers.
func formReport(reqs []request) string {
	var b strings.Builder
	post := func(path string) []request {
		return where(reqs, func(q request) bool { return q.actor == actorVisitor && q.method == "POST" && q.path == path })
	}
	if s := post("/users/register"); len(s) > 0 {
		fmt.Fprintf(&b, "- genuine sign-ups (visitors' `POST /users/register`): %s\n", statusList(s))
	}
	if s := post("/users/log_in"); len(s) > 0 {
		fmt.Fprintf(&b, "- genuine log-ins (visitors' `POST /users/log_in`): %s\n", statusList(s))
	}
	if s := where(reqs, func(q request) bool { return q.status >= 500 }); len(s) > 0 {
		var ts []string
		for _, q := range s[:min(8, len(s))] {
			ts = append(ts, fmt.Sprintf("%s %d %s", q.end().UTC().Format("15:04:05"), q.status, q.path))
		}
		more := ""
		if len(s) > 8 {
			more = ", …"
		}
		fmt.Fprintf(&b, "- 5xx: %d (%s%s)\n", len(s), strings.Join(ts, ", "), more)
	}
	return b.String()
}
