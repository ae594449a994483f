package scenario

import (
	"bufio"
	"net/netip"
	"strconv"
	"time"
)

// combined is nginx's combined log format, times in UTC.
type combined struct {
	w     *bufio.Writer
	proxy netip.Addr // when valid, logged for every request
	xff   bool       // nginx's main format: the X-Forwarded-For the proxy sent, last
	clock clfClock
	buf   []byte
	err   error
}

func (c *combined) Write(q *Request) {
	if c.err != nil {
		return
	}
	c.buf = appendCombined(c.buf[:0], q, q.End(), c.proxy, &c.clock)
	if c.xff {
		// The load balancer appends the address it saw: the client's.
		c.buf = append(q.IP.AppendTo(append(c.buf[:len(c.buf)-1], " \""...)), "\"\n"...)
	}
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

var _ Format = (*combined)(nil)
