package scenario

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

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
	id := RequestID(q.Start, uint32(f.r.IntN(1<<24)), f.counter)
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
	add(q.End(), "info", fmt.Sprintf("Sent %d in %s", q.Status, PhoenixDuration(q.Dur)))
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

// RequestID makes a Plug.RequestId id: base64url of 64 bits of system time
// in nanoseconds, 24 bits of a process hash and 32 bits of a unique
// integer, 20 characters.
func RequestID(t time.Time, proc, unique uint32) string {
	var raw [15]byte
	binary.BigEndian.PutUint64(raw[0:8], uint64(t.UnixNano()))
	raw[8], raw[9], raw[10] = byte(proc>>16), byte(proc>>8), byte(proc)
	binary.BigEndian.PutUint32(raw[11:15], unique)
	return base64.URLEncoding.EncodeToString(raw[:])
}

// PhoenixDuration formats d as Phoenix.Logger does: whole milliseconds
// above 1000 µs, else microseconds.
func PhoenixDuration(d time.Duration) string {
	us := d.Microseconds()
	if us > 1000 {
		return strconv.FormatInt(us/1000, 10) + "ms"
	}
	return strconv.FormatInt(us, 10) + "µs"
}

var _ Format = (*fly)(nil)
