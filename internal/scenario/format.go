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

	// The formats of the parity test (TestFormats_parity), named as
	// sentinel names them: the same requests as combined, one line each,
	// as the program of each writes them (see jsonlog.go).
	FormatCaddy       = "caddy"        // Caddy 2's JSON access log
	FormatNginxJSON   = "nginx_json"   // nginx with a JSON log_format (escape=json)
	FormatTraefikJSON = "traefik_json" // Traefik's JSON access log, User-Agent and Referer kept
	FormatSlogJSON    = "slog_json"    // a Go service's request log through log/slog's JSON handler
	FormatZapJSON     = "zap_json"     // gin-contrib/zap through zap's production encoder
	FormatZerologJSON = "zerolog_json" // zerolog's hlog access handler
	FormatRailwayJSON = "railway_json" // Railway's HTTP logs (railway logs --http --json)
	FormatLogfmt      = "logfmt"       // the request log of FormatSlogJSON through log/slog's text handler
)

// ParityFormats are the formats TestFormats_parity compares with
// combined.
var ParityFormats = []string{FormatCaddy, FormatNginxJSON, FormatTraefikJSON, FormatSlogJSON,
	FormatZapJSON, FormatZerologJSON, FormatRailwayJSON, FormatLogfmt}

// lineFormats are the formats that write a request as one line of their
// own (jsonlog.go, applog.go).
var lineFormats = map[string]func(f *lineFormat, b []byte, q *Request) []byte{
	FormatCaddy:       caddyLine,
	FormatNginxJSON:   nginxJSONLine,
	FormatTraefikJSON: traefikLine,
	FormatSlogJSON:    slogJSONLine,
	FormatZapJSON:     zapLine,
	FormatZerologJSON: zerologLine,
	FormatRailwayJSON: railwayLine,
	FormatLogfmt:      logfmtLine,
}

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
	if line, ok := lineFormats[name]; ok {
		return &lineFormat{w: bw, r: r, line: line}, nil
	}
	return nil, fmt.Errorf("unknown format %q", name)
}

// proxyAddr is the load balancer in front of nginx when nginx logs the
// connection's address instead of the client's (no real_ip / X-Forwarded-For):
// an AWS VPC address.
var proxyAddr = netip.MustParseAddr("172.31.12.7")
