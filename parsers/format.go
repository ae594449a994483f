package parsers

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// Formats lists the format names [New] accepts.
var Formats = []string{"combined", "common", "vhost_combined", "json", "caddy", "nginx_json", "traefik_json", "logfmt", "heroku", "phoenix", "regex"}

// detectors are the formats [Detect] tries, most specific first: a tie
// goes to the earlier one (Caddy's JSON is also generic JSON; a Phoenix
// line also looks like logfmt; the vhost parser also reads lines without a
// vhost). A format's sign, when set, is a string its lines carry and other
// formats' lines do not: a line it decodes without the sign is neutral.
var detectors = []struct {
	name string
	sign []string // a line counts for the format only if it contains one
}{
	{name: "combined"},
	{name: "vhost_combined"},
	{name: "caddy", sign: []string{`"logger":"http.log.access`}},
	{name: "traefik_json", sign: []string{`"RequestMethod"`, `"DownstreamStatus"`}},
	{name: "nginx_json", sign: []string{`"remote_addr"`}},
	{name: "phoenix"},
	{name: "heroku", sign: []string{"fwd=", "heroku"}},
	{name: "json"},
	{name: "logfmt"},
}

// ErrUnknownFormat is returned by [Detect] when no format fits.
var ErrUnknownFormat = errors.New("log format not recognised")

// New returns a decoder for the named format.
func New(format string, opts Options) (Decoder, error) {
	switch format {
	case "combined", "common":
		return NewCombined(), nil
	case "vhost_combined":
		return NewVhostCombined(), nil
	case "json":
		return NewJSON(opts)
	case "caddy", "nginx_json", "traefik_json":
		return NewJSONPreset(format, opts)
	case "logfmt":
		return NewLogfmt(opts)
	case "heroku":
		return NewLogfmtPreset(format, opts)
	case "phoenix":
		return NewPhoenix(opts), nil
	case "regex":
		return NewRegex(opts)
	}
	return nil, fmt.Errorf("unknown format %q (known: %s)", format, strings.Join(Formats, ", "))
}

// Detect names the format of a file from its first lines: the format
// whose events are most often requests (application messages count for
// less: any JSON object is a message to a JSON format), then the one that
// accepts the most lines, then the more specific one. Lines a format
// ignores (blank, continuation, non-access lines) neither count for nor
// against it. It fails when no format accepts at least half of the lines
// it does not ignore.
func Detect(lines [][]byte, opts Options) (string, error) {
	if len(lines) == 0 {
		return "", fmt.Errorf("%w: no lines to look at", ErrUnknownFormat)
	}
	best, bestReq, bestOK := "", 0, 0
	for _, d := range detectors {
		dec, err := New(d.name, opts)
		if err != nil {
			continue // a format that needs options (a field mapping) cannot be guessed
		}
		req, ok, bad := 0, 0, 0
		signed := true
		count := func(ev *Event) {
			if ev.Kind == KindRequest && signed {
				req++
			}
		}
		for _, l := range lines {
			signed = d.sign == nil || containsAny(l, d.sign)
			switch err := dec.Decode(l, count); {
			case err == nil:
				if signed {
					ok++
				}
			case errors.Is(err, ErrIgnored):
			default:
				bad++
			}
		}
		dec.Flush(count)
		if ok == 0 || ok < bad {
			continue
		}
		if req > bestReq || req == bestReq && ok > bestOK {
			best, bestReq, bestOK = d.name, req, ok
		}
	}
	if best == "" {
		return "", fmt.Errorf("%w in the first %d lines", ErrUnknownFormat, len(lines))
	}
	return best, nil
}

func containsAny(line []byte, subs []string) bool {
	for _, s := range subs {
		if bytes.Contains(line, []byte(s)) {
			return true
		}
	}
	return false
}
