package scenario

import (
	"bufio"
	"math/rand/v2"
	"net/netip"
	"time"
)

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

var _ Format = (*merged)(nil)
