package source

import (
	"fmt"

	"github.com/sentinel-dev/sentinel/parsers"
)

// detectLines is how many lines a Stream holds to detect its format.
const detectLines = 50

// Stream decodes the lines of one followed file, as they come: it holds
// the first lines until it has enough to detect the format (or the file
// goes quiet and Settle is called), then decodes every line. It is not
// safe for concurrent use.
type Stream struct {
	st     Stats
	opts   Options
	emit   func(*parsers.Event)
	held   [][]byte
	d      *decoding
	lineNo int64
	failed error
}

// NewStream returns a Stream for path that passes events to emit. Events
// without a time take opts.Now (the read time; live mode sets it).
func NewStream(path string, opts Options, emit func(*parsers.Event)) *Stream {
	return &Stream{st: Stats{Name: path, Format: opts.Format}, opts: opts, emit: emit}
}

// Line takes one line (without its line ending); it is copied if held.
func (s *Stream) Line(line []byte) {
	s.lineNo++
	s.st.Lines++
	s.st.Bytes += int64(len(line)) + 1
	switch {
	case s.d != nil:
		s.d.line(s.lineNo, line)
	case s.failed != nil:
		s.st.Malformed++
	default:
		s.held = append(s.held, append([]byte(nil), line...))
		if len(s.held) >= detectLines || !parsers.IsAuto(s.opts.Format) {
			s.Settle()
		}
	}
}

// Settle decides the format with the lines held so far and decodes them;
// the caller calls it when the file has been quiet for a while, so that a
// slow log is not held back by detection. It is a no-op once decided.
func (s *Stream) Settle() {
	if s.d != nil || s.failed != nil || len(s.held) == 0 {
		return
	}
	pop := s.opts.Parser
	if parsers.IsAuto(s.st.Format) {
		var nonBlank [][]byte
		for _, l := range s.held {
			if len(l) > 0 {
				nonBlank = append(nonBlank, l)
			}
		}
		name, err := parsers.Detect(nonBlank, pop)
		if err != nil {
			s.fail(fmt.Errorf("%s: %w", s.st.Name, err))
			return
		}
		s.st.Format, s.st.Detected = name, true
	}
	if parsers.NeedsDate(s.st.Format) && pop.Date.IsZero() && s.opts.Now != nil {
		// Live: today, or yesterday for a backlog from before midnight
		// (the first line's time of day is later than now's).
		pop.Date = dateFromModTime(s.opts.Now(), s.held, pop.Location)
	}
	d, err := newDecoding(&s.st, pop, s.opts.Now, s.emit)
	if err != nil {
		s.fail(err)
		return
	}
	s.d = d
	held := s.held
	s.held = nil
	first := s.lineNo - int64(len(held)) + 1
	for i, l := range held {
		d.line(first+int64(i), l)
	}
}

// fail gives up on the file's lines: they are counted malformed.
func (s *Stream) fail(err error) {
	s.failed = err
	s.st.Malformed += int64(len(s.held))
	s.held = nil
}

// Holding reports whether lines wait for the format to be detected: they
// have been taken but not decoded yet.
func (s *Stream) Holding() bool { return s.d == nil && s.failed == nil && len(s.held) > 0 }

// Err returns why the stream could not decode its file, if it could not.
func (s *Stream) Err() error { return s.failed }

// Flush settles and emits what the decoder still holds, at shutdown.
func (s *Stream) Flush() {
	s.Settle()
	if s.d != nil {
		s.d.flush()
	}
}

// Stats returns what the stream has counted.
func (s *Stream) Stats() Stats { return s.st }
