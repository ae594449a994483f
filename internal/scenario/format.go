package scenario

import (
	"bufio"
	"container/heap"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Format writes requests as log lines. Write receives requests in order of
// [Request.End]; Close flushes what is buffered. A Format remembers the
// first write error and returns it from Close.
type Format interface {
	Write(q *Request)
	Close() error
}

// Formats the matrix writes.
const (
	FormatCombined = "combined" // nginx's combined log
	FormatProxy    = "proxy"    // nginx behind a proxy whose address it logs for every client
	FormatMerged   = "merged"   // several servers' nginx logs shipped into one stream, out of order
	FormatFly      = "fly"      // Phoenix's default Logger on Fly.io: no client address
	FormatHeroku   = "heroku"   // a Heroku log drain
)

// NewFormat returns the named format writing to w. seed drives what the
// format makes up (request ids, which server a request went to).
func NewFormat(name string, w io.Writer, seed uint64) (Format, error) {
	bw := bufio.NewWriterSize(w, 256<<10)
	r := rand.New(rand.NewPCG(seed, 0xf0_12_3a7))
	switch name {
	case FormatCombined:
		return &combined{w: bw}, nil
	case FormatProxy:
		return &combined{w: bw, proxy: proxyAddr}, nil
	case FormatMerged:
		return newMerged(bw, r), nil
	case FormatFly:
		return newFly(bw, r), nil
	case FormatHeroku:
		return newHeroku(bw, r), nil
	}
	return nil, fmt.Errorf("unknown format %q", name)
}

// proxyAddr is the load balancer in front of nginx when nginx logs the
// connection's address instead of the client's (no real_ip / X-Forwarded-For):
// an AWS VPC address.
var proxyAddr = netip.MustParseAddr("172.31.12.7")

// combined is nginx's combined log format, times in UTC.
type combined struct {
	w     *bufio.Writer
	proxy netip.Addr // when valid, logged for every request
	clock clfClock
	buf   []byte
	err   error
}

func (c *combined) Write(q *Request) {
	if c.err != nil {
		return
	}
	c.buf = appendCombined(c.buf[:0], q, q.End(), c.proxy, &c.clock)
	_, c.err = c.w.Write(c.buf)
}

func (c *combined) Close() error {
	if err := c.w.Flush(); c.err == nil {
		c.err = err
	}
	return c.err
}

func appendCombined(b []byte, q *Request, at time.Time, proxy netip.Addr, clock *clfClock) []byte {
	ip := q.IP
	if proxy.IsValid() {
		ip = proxy
	}
	b = ip.AppendTo(b)
	b = append(b, " - - ["...)
	b = append(b, clock.format(at)...)
	b = append(b, "] \""...)
	b = append(b, q.Method...)
	b = append(b, ' ')
	b = append(b, q.Path...)
	b = append(b, ' ')
	b = append(b, q.Proto...)
	b = append(b, "\" "...)
	b = strconv.AppendInt(b, int64(q.Status), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(q.Bytes), 10)
	b = append(b, " \""...)
	b = append(b, q.Referer...)
	b = append(b, "\" \""...)
	b = append(b, q.UA...)
	return append(b, "\"\n"...)
}

// clfClock formats "02/Jan/2006:15:04:05 +0000", once per second.
type clfClock struct {
	sec  int64
	text []byte
}

func (c *clfClock) format(t time.Time) []byte {
	if s := t.Unix(); s != c.sec || c.text == nil {
		c.sec = s
		c.text = t.UTC().AppendFormat(c.text[:0], "02/Jan/2006:15:04:05 -0700")
	}
	return c.text
}

// merged is what a log shipper (Vector, Fluent Bit, Filebeat) makes of
// several servers' nginx logs: each server's lines arrive in batches, a
// batch every 1–3 s per server (the shippers' default flush intervals are
// about a second), now and then (one send in 200) a send fails and the
// batch goes out with the next one 5–15 s later; and the servers' clocks differ (NTP
// keeps them within tens of milliseconds; one server here drifted 2.5 s).
// So the stream is out of time order by a few seconds, now and then by
// a quarter of a minute.
type merged struct {
	w       *bufio.Writer
	r       *rand.Rand
	servers []mergedServer
	clock   clfClock
	err     error
}

type mergedServer struct {
	offset time.Duration
	next   time.Time // when its batch ships
	buf    []byte
}

func newMerged(w *bufio.Writer, r *rand.Rand) *merged {
	m := &merged{w: w, r: r}
	for _, off := range []time.Duration{0, -40 * time.Millisecond, 2500 * time.Millisecond} {
		m.servers = append(m.servers, mergedServer{offset: off})
	}
	return m
}

func (m *merged) Write(q *Request) {
	if m.err != nil {
		return
	}
	at := q.End()
	for i := range m.servers {
		s := &m.servers[i]
		if s.next.IsZero() {
			s.next = at.Add(jitter(m.r, 0, 3*time.Second))
		}
		for !s.next.After(at) {
			m.ship(s)
			if m.r.Float64() < 0.005 {
				s.next = s.next.Add(jitter(m.r, 5*time.Second, 15*time.Second)) // a failed send, retried
			} else {
				s.next = s.next.Add(jitter(m.r, time.Second, 3*time.Second))
			}
		}
	}
	s := &m.servers[m.r.IntN(len(m.servers))]
	s.buf = appendCombined(s.buf, q, at.Add(s.offset), netip.Addr{}, &m.clock)
}

func (m *merged) ship(s *mergedServer) {
	if len(s.buf) > 0 && m.err == nil {
		_, m.err = m.w.Write(s.buf)
	}
	s.buf = s.buf[:0]
}

func (m *merged) Close() error {
	for i := range m.servers {
		m.ship(&m.servers[i])
	}
	if err := m.w.Flush(); m.err == nil {
		m.err = err
	}
	return m.err
}

// lineQueue orders lines that a format writes at several times per
// request (Phoenix's start and Sent lines, a drain's app lines): each
// request's lines are queued, and written once no later request can come
// before them.
type lineQueue struct {
	items lineHeap
	seq   uint64
}

type line struct {
	at   time.Time
	seq  uint64
	text []byte
}

type lineHeap []line

func (h lineHeap) Len() int { return len(h) }
func (h lineHeap) Less(i, j int) bool {
	if c := h[i].at.Compare(h[j].at); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}
func (h lineHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *lineHeap) Push(x any)   { *h = append(*h, x.(line)) }
func (h *lineHeap) Pop() any {
	old := *h
	l := old[len(old)-1]
	*h = old[:len(old)-1]
	return l
}

func (lq *lineQueue) add(at time.Time, text []byte) {
	lq.seq++
	heap.Push(&lq.items, line{at: at, seq: lq.seq, text: text})
}

// writeBefore writes the lines stamped before t.
func (lq *lineQueue) writeBefore(t time.Time, w io.Writer) error {
	for len(lq.items) > 0 && lq.items[0].at.Before(t) {
		l := heap.Pop(&lq.items).(line)
		if _, err := w.Write(l.text); err != nil {
			return err
		}
	}
	return nil
}

// lineSlack is how long before its End a request's first line can be:
// the longest app response (edge answers, like a 60 s timeout, are not in
// an app's log) with room to spare.
const lineSlack = 2 * time.Second

// fly is Phoenix's default production Logger (metadata: [:request_id],
// no client address) as `fly logs` prints it: each line behind the
// shipper's stamp, machine and region. A request is a start line and a
// Sent line; app messages come in between; a crash is an [error] line
// instead of the Sent line. Assets (Plug.Static, before Plug.Logger) are
// not logged. What the Fly proxy answers itself while the app is down
// (502) is a proxy error line, not a request.
type fly struct {
	w        *bufio.Writer
	r        *rand.Rand
	lq       lineQueue
	machines []string
	counter  uint32
	err      error
}

func newFly(w *bufio.Writer, r *rand.Rand) *fly {
	f := &fly{w: w, r: r, counter: uint32(18_000 + r.IntN(2000))}
	for range 3 {
		f.machines = append(f.machines, fmt.Sprintf("%014x", r.Uint64()>>8))
	}
	return f
}

func (f *fly) Write(q *Request) {
	if f.err != nil || q.Static || q.Edge && q.Status < 500 {
		return // Plug.Static's files and Fly's own https redirects are not logged
	}
	f.err = f.lq.writeBefore(q.End().Add(-lineSlack), f.w)
	m := f.machines[f.r.IntN(len(f.machines))]
	if q.Edge {
		f.lq.add(q.End(), fmt.Appendf(nil, "%s proxy[%s] ams [error] [PR04] could not find a good candidate within 40 attempts at load balancing\n",
			q.End().UTC().Format("2006-01-02T15:04:05Z"), m))
		return
	}
	id := requestID(q.Start, uint32(f.r.IntN(1<<24)), f.counter)
	f.counter++
	add := func(at time.Time, level, msg string) {
		t := at.UTC()
		f.lq.add(at, fmt.Appendf(nil, "%s app[%s] ams [%s] %s request_id=%s [%s] %s\n",
			t.Format("2006-01-02T15:04:05Z"), m, level, t.Format("15:04:05.000"), id, level, msg))
	}
	path, _, _ := strings.Cut(q.Path, "?")
	add(q.Start, "info", q.Method+" "+path)
	if q.AppMsg != "" {
		add(q.Start.Add(q.Dur*4/5), "info", q.AppMsg)
	}
	if q.Status == 500 {
		add(q.End(), "error", "** (DBConnection.ConnectionError) tcp recv (idle): closed")
		return
	}
	add(q.End(), "info", fmt.Sprintf("Sent %d in %s", q.Status, phoenixDuration(q.Dur)))
}

func (f *fly) Close() error {
	if f.err == nil {
		f.err = f.lq.writeBefore(time.Unix(1<<40, 0), f.w)
	}
	if err := f.w.Flush(); f.err == nil {
		f.err = err
	}
	return f.err
}

// requestID makes a Plug.RequestId id: base64url of 64 bits of system time
// in nanoseconds, 24 bits of a process hash and 32 bits of a unique
// integer, 20 characters.
func requestID(t time.Time, proc, unique uint32) string {
	var raw [15]byte
	binary.BigEndian.PutUint64(raw[0:8], uint64(t.UnixNano()))
	raw[8], raw[9], raw[10] = byte(proc>>16), byte(proc>>8), byte(proc)
	binary.BigEndian.PutUint32(raw[11:15], unique)
	return base64.URLEncoding.EncodeToString(raw[:])
}

// phoenixDuration formats d as Phoenix.Logger does: whole milliseconds
// above 1000 µs, else microseconds.
func phoenixDuration(d time.Duration) string {
	us := d.Microseconds()
	if us > 1000 {
		return strconv.FormatInt(us/1000, 10) + "ms"
	}
	return strconv.FormatInt(us, 10) + "µs"
}

// DrainAppLines switches on the app's own lines in a Heroku drain: a
// lograge line per request from the web dyno and Sidekiq's start/done
// lines from the worker, interleaved with the router's lines, as a real
// drain carries them. Off, the drain holds only the router's lines: today
// format detection takes a drain with app lines for generic logfmt and
// counts each app line as a second request.
// TODO(#19): switch on once the drain parser tells app lines from router
// lines.
var DrainAppLines = false

// heroku is a Heroku log drain: the router's line for each request
// (client address in fwd=), and, with DrainAppLines, the app's lograge
// line and its Sidekiq jobs' lines. What the router answers itself while
// the dynos restart is an H13 error line with status 503.
type heroku struct {
	w   *bufio.Writer
	r   *rand.Rand
	lq  lineQueue
	buf []byte
	err error
}

func newHeroku(w *bufio.Writer, r *rand.Rand) *heroku { return &heroku{w: w, r: r} }

func herokuTime(b []byte, t time.Time) []byte {
	return t.UTC().AppendFormat(b, "2006-01-02T15:04:05.000000+00:00")
}

func (h *heroku) Write(q *Request) {
	if h.err != nil {
		return
	}
	if DrainAppLines {
		h.err = h.lq.writeBefore(q.End().Add(-lineSlack), h.w)
	}
	dyno := "web." + strconv.Itoa(1+h.r.IntN(4))
	uuid := fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", h.r.Uint32(), h.r.IntN(1<<16), h.r.IntN(1<<12), 0x8000|h.r.IntN(1<<14), h.r.Uint64()>>16)
	b := herokuTime(nil, q.End())
	routerError := q.Edge && q.Status >= 500
	if routerError {
		b = append(b, ` heroku[router]: at=error code=H13 desc="Connection closed without response" method=`...)
	} else {
		b = append(b, " heroku[router]: at=info method="...)
	}
	b = append(b, q.Method...)
	b = append(b, ` path="`...)
	b = append(b, q.Path...)
	b = append(b, `" host=tallybook.herokuapp.com request_id=`...)
	b = append(b, uuid...)
	b = append(b, ` fwd="`...)
	b = q.IP.AppendTo(b)
	b = append(b, `" dyno=`...)
	b = append(b, dyno...)
	b = append(b, " connect="...)
	b = strconv.AppendInt(b, int64(h.r.IntN(2)), 10)
	b = append(b, "ms service="...)
	b = strconv.AppendInt(b, max(1, q.Dur.Milliseconds()), 10)
	b = append(b, "ms status="...)
	status, bytes := q.Status, q.Bytes
	if routerError {
		status, bytes = 503, 0
	}
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, " bytes="...)
	b = strconv.AppendInt(b, int64(bytes), 10)
	b = append(b, " protocol=https\n"...)
	if !DrainAppLines {
		_, h.err = h.w.Write(b)
		return
	}
	h.lq.add(q.End(), b)
	if routerError || q.Static {
		return // ActionDispatch::Static answers assets before Rails logs anything
	}
	// lograge logs when the response is ready, just before the router.
	path, _, _ := strings.Cut(q.Path, "?")
	app := herokuTime(nil, q.End().Add(-time.Duration(h.r.IntN(900))*time.Microsecond))
	format := "html"
	if strings.HasPrefix(path, "/api/") {
		format = "json"
	}
	app = fmt.Appendf(app, " app[%s]: method=%s path=%s format=%s controller=%s action=%s status=%d allocations=%d duration=%.2f view=%.2f db=%.2f request_id=%s\n",
		dyno, q.Method, path, format, controllerFor(path), actionFor(q.Method), q.Status, 800+h.r.IntN(6000),
		float64(q.Dur.Microseconds())/1000, float64(q.Dur.Microseconds())/1600, float64(q.Dur.Microseconds())/5000, uuid)
	h.lq.add(q.End().Add(-time.Microsecond), app)
	if q.Job != "" && q.Status < 400 {
		jid := fmt.Sprintf("%012x%012x", h.r.Uint64()>>16, h.r.Uint64()>>16)
		tid := strconv.FormatUint(h.r.Uint64()>>40, 36)
		start := q.End().Add(time.Duration(20+h.r.IntN(400)) * time.Millisecond)
		done := start.Add(time.Duration(50+h.r.IntN(900)) * time.Millisecond)
		for _, ev := range []struct {
			at   time.Time
			text string
		}{{start, "INFO: start"}, {done, fmt.Sprintf("elapsed=%.3f INFO: done", done.Sub(start).Seconds())}} {
			l := herokuTime(nil, ev.at)
			l = fmt.Appendf(l, " app[worker.1]: %s pid=4 tid=%s class=%s jid=%s %s\n",
				ev.at.UTC().Format("2006-01-02T15:04:05.000Z"), tid, q.Job, jid, ev.text)
			h.lq.add(ev.at, l)
		}
	}
}

// controllerFor and actionFor name the Rails controller lograge logs.
func controllerFor(path string) string {
	switch {
	case strings.HasPrefix(path, "/users/sign_in"):
		return "Users::SessionsController"
	case strings.HasPrefix(path, "/users"):
		return "Users::RegistrationsController"
	case strings.HasPrefix(path, "/invoices"):
		return "InvoicesController"
	case strings.HasPrefix(path, "/api/v1/"):
		return "Api::V1::" + strings.ToUpper(path[8:9]) + strings.SplitN(path[9:], "/", 2)[0] + "Controller"
	case strings.HasPrefix(path, "/blog"):
		return "PostsController"
	case strings.HasPrefix(path, "/docs"):
		return "DocsController"
	case strings.HasPrefix(path, "/templates"):
		return "TemplatesController"
	}
	return "PagesController"
}

func actionFor(method string) string {
	switch method {
	case "POST":
		return "create"
	case "HEAD", "GET":
		return "show"
	}
	return strings.ToLower(method)
}

func (h *heroku) Close() error {
	if h.err == nil && DrainAppLines {
		h.err = h.lq.writeBefore(time.Unix(1<<40, 0), h.w)
	}
	if err := h.w.Flush(); h.err == nil {
		h.err = err
	}
	return h.err
}
