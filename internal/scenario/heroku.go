package scenario

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// DrainAppLines switches on the app's own lines in a Heroku drain: a
// lograge line per request from the web dyno and Sidekiq's start/done
// lines from the worker, interleaved with the router's lines, as a real
// drain carries them (the heroku format reads the router's lines as
// requests and counts the app's apart). Off, the drain holds only the
// router's lines.
var DrainAppLines = true

// heroku is a Heroku log drain: the router's line for each request
// (client address in fwd=), and, with DrainAppLines, the app's lograge
// line and its Sidekiq jobs' lines. What the router answers itself while
// the dynos restart is an H13 error line with status 503.
type heroku struct {
	w   *bufio.Writer
	r   *rand.Rand
	lq  lineQueue
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

var _ Format = (*heroku)(nil)
