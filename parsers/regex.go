package parsers

import (
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Regex decodes lines with a user's regular expression (Go RE2 syntax),
// the escape hatch for formats sentinel has no parser for. Each named
// group gives an event field, with the names of [Options.Fields] (time,
// client_ip, method, path, status, …); a group of any other name becomes
// an extra field. Values are used as the line has them, without
// unescaping.
//
// Regex is the slow path: regexp matching costs far more than the
// hand-written formats and allocates per line, and a time group with a Go
// layout goes through time.ParseInLocation. Prefer a built-in format or
// a JSON or logfmt mapping when one fits. A Regex is not safe for
// concurrent use.
type Regex struct {
	re     *regexp.Regexp
	maps   []mapping
	groups []int // per mapping, its group index
	conv   converter
	ev     Event
}

var _ Decoder = (*Regex)(nil)

// NewRegex returns a [Regex] for opts.Pattern, reading a time group per
// opts.TimeLayout (guessed when empty) and bare durations in
// opts.DurationUnit (seconds when empty). A time group is optional: events
// without one get a zero Time, which the reader fills. It fails when the
// pattern does not compile or has no named group, or when the time
// layout or duration unit is invalid.
func NewRegex(opts Options) (*Regex, error) {
	if opts.Pattern == "" {
		return nil, errors.New("regex: empty pattern")
	}
	re, err := regexp.Compile(opts.Pattern)
	if err != nil {
		return nil, fmt.Errorf("regex: %w", err)
	}
	fields := make(map[string]string)
	index := make(map[string]int)
	for i, name := range re.SubexpNames() {
		if name == "" {
			continue
		}
		if name == matchField {
			return nil, fmt.Errorf("regex: group name %q is reserved", name)
		}
		fields[name] = name
		index[name] = i
	}
	if len(fields) == 0 {
		return nil, errors.New("regex: pattern has no named group, as in (?P<path>\\S+)")
	}
	maps, _, err := compileFields(fields)
	if err != nil {
		return nil, fmt.Errorf("regex: %w", err)
	}
	conv, err := newConverter(opts, time.Second)
	if err != nil {
		return nil, fmt.Errorf("regex: %w", err)
	}
	conv.setGate(maps)
	r := &Regex{re: re, maps: maps, groups: make([]int, len(maps)), conv: conv}
	for i, m := range maps {
		r.groups[i] = index[m.name]
	}
	return r, nil
}

// Decode implements [Decoder]. A line the pattern does not match is
// malformed.
func (r *Regex) Decode(line []byte, emit func(*Event)) error {
	ev := &r.ev
	ev.Reset()
	ev.Raw = line
	loc := r.re.FindSubmatchIndex(line)
	if loc == nil {
		return malformed("regex")
	}
	err := r.conv.apply(ev, r.maps, func(i int) []byte {
		g := r.groups[i]
		if loc[2*g] < 0 {
			return nil
		}
		return line[loc[2*g]:loc[2*g+1]:loc[2*g+1]]
	})
	if err != nil {
		return err
	}
	emit(ev)
	return nil
}

// Flush implements [Decoder]; a Regex holds nothing between lines.
func (r *Regex) Flush(func(*Event)) {}
