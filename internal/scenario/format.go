package scenario

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net/netip"
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
	FormatCombined = "combined"  // nginx's combined log
	FormatProxy    = "proxy"     // nginx behind a proxy whose address it logs for every client
	FormatProxyXFF = "proxy-xff" // the same in nginx's main format, which logs the X-Forwarded-For last
	FormatMerged   = "merged"    // several servers' nginx logs shipped into one stream, out of order
	FormatFly      = "fly"       // Phoenix's default Logger on Fly.io: no client address
	FormatHeroku   = "heroku"    // a Heroku log drain
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
	case FormatProxyXFF:
		return &combined{w: bw, proxy: proxyAddr, xff: true}, nil
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
