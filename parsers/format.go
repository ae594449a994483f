package parsers

import (
	"errors"
	"fmt"
	"strings"
)

// Formats lists the format names [New] accepts.
var Formats = []string{"combined", "common", "vhost_combined", "json", "caddy", "nginx_json", "traefik_json", "logfmt", "heroku", "phoenix", "regex"}

// detectOrder is the order in which [Detect] tries formats: the most
// specific first, so that a tie goes to the format that knows the line
// best (Caddy's JSON is also generic JSON; a Phoenix line also looks like
// logfmt; the vhost parser also reads lines without a vhost, which the
// combined parser rejects).
var detectOrder = []string{"combined", "vhost_combined", "caddy", "traefik_json", "nginx_json", "phoenix", "heroku", "json", "logfmt"}

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
// that accepts the most of them, the more specific one on a tie. Lines a
// format ignores (blank, continuation, non-access lines) neither count for
// nor against it. It fails when no format accepts at least half of the
// lines it does not ignore.
func Detect(lines [][]byte, opts Options) (string, error) {
	if len(lines) == 0 {
		return "", fmt.Errorf("%w: no lines to look at", ErrUnknownFormat)
	}
	best, bestOK := "", 0
	for _, name := range detectOrder {
		dec, err := New(name, opts)
		if err != nil {
			continue // a format that needs options (a field mapping) cannot be guessed
		}
		ok, bad := 0, 0
		for _, l := range lines {
			switch err := dec.Decode(l, func(*Event) {}); {
			case err == nil:
				ok++
			case errors.Is(err, ErrIgnored):
			default:
				bad++
			}
		}
		if ok > bestOK && ok >= bad {
			best, bestOK = name, ok
		}
	}
	if best == "" {
		return "", fmt.Errorf("%w in the first %d lines", ErrUnknownFormat, len(lines))
	}
	return best, nil
}
