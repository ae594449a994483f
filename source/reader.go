// Package source turns the bytes of a log into events, for replay and for
// the live daemon alike. For replay it reads whole files — plain,
// gzip-compressed or standard input — and splits them into lines (up to
// [MaxLineBytes]); live, a [Stream] takes the lines the tailer sends. Both
// detect the format from the first lines, decode the lines into events,
// and count and sample what they could not parse. It never drops a line silently:
// every line is parsed, ignored, skipped as malformed or skipped as too
// long, and counted as such.
package source

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sentinel-dev/sentinel/parsers"
)

// MaxLineBytes is the longest line read; longer lines are counted and
// skipped.
const MaxLineBytes = 1 << 20

// MaxErrorSamples is how many malformed lines a [Stats] keeps as examples.
const MaxErrorSamples = 5

// Stats counts what a source read.
type Stats struct {
	Name      string // the path, or "-" for standard input
	Format    string // the format used (detected or given)
	Detected  bool   // whether Format was detected
	Bytes     int64  // bytes read (uncompressed)
	Lines     int64  // lines read, blank ones included
	Parsed    int64  // lines accepted by the parser
	Ignored   int64  // well-formed lines that carry no event (blank, continuation, non-access)
	Malformed int64  // lines the parser rejected
	TooLong   int64  // lines over MaxLineBytes, skipped
	Events    int64  // events produced (for multi-line formats, fewer than lines)
	// Undated counts events without a time that came before any dated one
	// in a replay: with no clock to read, they have no time to take.
	Undated int64
	// Errors are the first few malformed lines, as *parsers.LineError
	// with File and Line set.
	Errors []error
	// NotRead says why the source was not read at all (it could not be
	// opened, its format was not recognised), without its name; empty
	// when it was read.
	NotRead string
}

// Skipped is the number of lines that were not accepted.
func (s *Stats) Skipped() int64 { return s.Malformed + s.TooLong }

// Options say how to read a source.
type Options struct {
	// Format is a format name, or "" or "auto" to detect it.
	Format string
	// Parser configures the format.
	Parser parsers.Options
	// Now stamps events whose line has no time, in live mode. Nil means
	// replay: such an event takes the time of the event before it (the
	// log's clock at that point), and is counted as undated and dropped
	// when no event before it had a time.
	Now func() time.Time
	// Progress, when set, is kept up to date with the bytes and lines read,
	// for a progress display on another goroutine. Several Reads, in turn
	// or at once, may share one: it counts their sum.
	Progress *Progress
}

// Progress counts what [Read] has read so far: bytes as stored (before
// gzip decompression, so that they compare with the file's size) and
// lines. Read updates it once per 64 KiB read, never per line, so it
// costs nothing measurable. It is safe for concurrent use.
type Progress struct {
	bytes, lines atomic.Int64
}

// Bytes returns the bytes read so far.
func (p *Progress) Bytes() int64 { return p.bytes.Load() }

// Lines returns the lines read so far (up to one buffer behind).
func (p *Progress) Lines() int64 { return p.lines.Load() }

// progressReader counts the bytes read from a source into its Progress,
// and publishes the line count of the Stats it reads into: readLines,
// which counts them, calls Read on the same goroutine.
type progressReader struct {
	r       io.Reader
	p       *Progress
	st      *Stats
	counted int64 // the lines of st already added to p
}

func (r *progressReader) Read(b []byte) (int, error) {
	n, err := r.r.Read(b)
	r.p.bytes.Add(int64(n))
	r.publish()
	return n, err
}

// publish adds the lines read since the last call to p: several sources
// read at once (a merged replay) share one Progress.
func (r *progressReader) publish() {
	r.p.lines.Add(r.st.Lines - r.counted)
	r.counted = r.st.Lines
}

// Read reads the file at path ("-" for standard input) to its end,
// calling emit for every event in order. The *Event is valid only during
// the call. A read or open error ends the source and is returned; bad
// lines never are.
func Read(path string, opts Options, emit func(*parsers.Event)) (*Stats, error) {
	return read(path, opts, emit, nil)
}

// ReadWhile is [Read], stopping after the event for which emit returns
// false (a cancelled replay): the stats then count the lines read so far,
// and the events a decoder still held are not emitted.
func ReadWhile(path string, opts Options, emit func(*parsers.Event) bool) (*Stats, error) {
	stop := false
	return read(path, opts, func(ev *parsers.Event) {
		if !stop && !emit(ev) {
			stop = true
		}
	}, &stop)
}

// FirstTime returns the time of the first dated event of the file at
// path, read as [Read] would read it, and false when it has none or
// cannot be read (the file is then read in full by Read, which reports
// why). It reads no further than that event: a replay of several files
// merges them by time (see the replay package) and opens each only once
// the others have reached its first time.
func FirstTime(path string, opts Options) (time.Time, bool) {
	opts.Progress = nil
	var first time.Time
	stop := false
	read(path, opts, func(ev *parsers.Event) {
		if !stop {
			first, stop = ev.Time, true
		}
	}, &stop)
	return first, stop
}

// read is [Read]; it returns once *stop is set (after the line that set
// it) when stop is not nil.
func read(path string, opts Options, emit func(*parsers.Event), stop *bool) (*Stats, error) {
	st := &Stats{Name: path}
	notRead := func(err error) (*Stats, error) {
		st.Format, st.Detected = "", false
		st.NotRead = strings.TrimPrefix(err.Error(), path+": ")
		return st, err
	}
	var r io.Reader
	var modTime time.Time
	if path == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return notRead(err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil {
			if fi.IsDir() {
				return notRead(fmt.Errorf("%s is a directory", path))
			}
			modTime = fi.ModTime()
		}
		r = f
	}
	if p := opts.Progress; p != nil {
		pr := &progressReader{r: r, p: p, st: st}
		defer pr.publish()
		r = pr
	}
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return notRead(fmt.Errorf("read %s: %w", path, err))
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	head, _ := br.Peek(32 << 10) // a short file gives what it has
	whole := len(head) < 32<<10
	if !whole && len(firstLines(head[:bytes.LastIndexByte(head, '\n')+1], detectLines)) < detectLines {
		// Fewer than detectLines whole lines in the head (long lines, or
		// a first line longer than the head): look further, as far as a
		// line may be long.
		br = bufio.NewReaderSize(br, MaxLineBytes+2)
		head, _ = br.Peek(MaxLineBytes + 2)
		whole = len(head) < MaxLineBytes+2
	}
	if !whole {
		if i := bytes.LastIndexByte(head, '\n'); i >= 0 {
			head = head[:i+1] // the last, partial line is no line
		}
	}
	first := firstLines(head, detectLines)
	if len(first) == 0 {
		// Empty (or blank): nothing to detect, nothing to count.
		err := readLines(br, st, func(int64, []byte) { st.Ignored++ }, nil)
		return st, err
	}

	pop := opts.Parser
	st.Format = opts.Format
	if parsers.IsAuto(st.Format) {
		name, err := parsers.Detect(first, pop)
		if err != nil {
			return notRead(fmt.Errorf("%s: %w", path, err))
		}
		st.Format, st.Detected = name, true
	}
	if parsers.NeedsDate(st.Format) && pop.Date.IsZero() {
		if modTime.IsZero() {
			return notRead(fmt.Errorf("%s: Phoenix lines carry only the time of day: give the day with --date", path))
		}
		pop.Date = dateFromModTime(modTime, first, pop.Location)
	}
	d, err := newDecoding(st, pop, opts.Now, emit)
	if err != nil {
		return notRead(err)
	}
	err = readLines(br, st, d.line, stop)
	if stop == nil || !*stop {
		d.flush()
	}
	if err != nil {
		return st, fmt.Errorf("read %s: %w", path, err)
	}
	return st, nil
}

// decoding decodes and counts the lines of one source once its format is
// known: what Read and Stream share.
type decoding struct {
	st   *Stats
	dec  parsers.Decoder
	now  func() time.Time
	last time.Time // the time of the last dated event, for replay
	emit func(*parsers.Event)
	// countFn is d.count, made once: a method value made per line
	// escapes to the decoder and costs an allocation per line.
	countFn func(*parsers.Event)
}

func newDecoding(st *Stats, popts parsers.Options, now func() time.Time, emit func(*parsers.Event)) (*decoding, error) {
	dec, err := parsers.New(st.Format, popts)
	if err != nil {
		return nil, err
	}
	d := &decoding{st: st, dec: dec, now: now, emit: emit}
	d.countFn = d.count
	return d, nil
}

// count stamps an event without a time and passes it on.
func (d *decoding) count(ev *parsers.Event) {
	switch {
	case !ev.Time.IsZero():
		d.last = ev.Time
	case d.now != nil:
		ev.Time = d.now().UTC()
	case !d.last.IsZero():
		ev.Time = d.last
	default:
		d.st.Undated++
		return
	}
	d.st.Events++
	d.emit(ev)
}

// line decodes one line (its 1-based number for error messages).
func (d *decoding) line(lineNo int64, line []byte) {
	st := d.st
	if len(line) == 0 || isSpace(line[0]) && len(bytes.TrimSpace(line)) == 0 {
		st.Ignored++
		return
	}
	err := d.dec.Decode(line, d.countFn)
	switch {
	case err == nil:
		st.Parsed++
	case errors.Is(err, parsers.ErrIgnored):
		st.Ignored++
	default:
		st.Malformed++
		if len(st.Errors) < MaxErrorSamples {
			field, inner := "", err
			var le *parsers.LineError
			if errors.As(err, &le) {
				field, inner = le.Field, le.Err
			}
			st.Errors = append(st.Errors, &parsers.LineError{File: st.Name, Line: lineNo, Field: field, Err: inner})
		}
	}
}

func (d *decoding) flush() { d.dec.Flush(d.countFn) }

// readLines splits r into lines without their line ending and calls f
// with each and its 1-based number. Lines longer than MaxLineBytes are
// counted in st.TooLong and skipped whole. It returns after the line that
// set *stop, when stop is not nil.
func readLines(br *bufio.Reader, st *Stats, f func(n int64, line []byte), stop *bool) error {
	var long []byte
	tooLong := false
	for {
		chunk, err := br.ReadSlice('\n')
		st.Bytes += int64(len(chunk))
		if err == bufio.ErrBufferFull {
			if !tooLong {
				if len(long)+len(chunk) > MaxLineBytes+2 {
					tooLong, long = true, long[:0]
				} else {
					long = append(long, chunk...)
				}
			}
			continue
		}
		if len(chunk) > 0 || len(long) > 0 || tooLong {
			line := chunk
			if len(long) > 0 {
				line = append(long, chunk...)
				long = line[:0]
			}
			st.Lines++
			body := len(line)
			if body > 0 && line[body-1] == '\n' {
				body--
			}
			if body > 0 && line[body-1] == '\r' {
				body--
			}
			if tooLong || body > MaxLineBytes {
				st.TooLong++
				tooLong = false
			} else {
				if n := len(line); n > 0 && line[n-1] == '\n' {
					line = line[:n-1]
				}
				if n := len(line); n > 0 && line[n-1] == '\r' {
					line = line[:n-1]
				}
				f(st.Lines, line)
				if stop != nil && *stop {
					return nil
				}
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// firstLines returns up to n complete lines of head (the last, partial one
// dropped unless head is the whole input and ends without a newline).
func firstLines(head []byte, n int) [][]byte {
	var lines [][]byte
	for len(head) > 0 && len(lines) < n {
		i := bytes.IndexByte(head, '\n')
		var line []byte
		if i < 0 {
			line, head = head, nil
		} else {
			line, head = head[:i], head[i+1:]
		}
		line = bytes.TrimSuffix(line, []byte{'\r'})
		if len(bytes.TrimSpace(line)) > 0 {
			lines = append(lines, line)
		}
	}
	return lines
}

// dateFromModTime picks the day of a Phoenix log whose lines carry only
// the time of day: the day of the file's last write, or the day before
// when the first line's time of day is later than the last write's (the
// log then crossed midnight). Exact for logs spanning less than a day;
// longer ones need --date.
func dateFromModTime(mod time.Time, first [][]byte, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	mod = mod.In(loc)
	day := time.Date(mod.Year(), mod.Month(), mod.Day(), 0, 0, 0, 0, loc)
	modClock := mod.Sub(day)
	for _, l := range first {
		if c, ok := clockOf(l); ok {
			if c > modClock {
				day = day.AddDate(0, 0, -1)
			}
			break
		}
	}
	return day
}

// clockOf finds the first HH:MM:SS in a line and returns it as an offset
// into the day.
func clockOf(l []byte) (time.Duration, bool) {
	for i := 0; i+8 <= len(l); i++ {
		b := l[i : i+8]
		if isDigit(b[0]) && isDigit(b[1]) && b[2] == ':' && isDigit(b[3]) && isDigit(b[4]) && b[5] == ':' && isDigit(b[6]) && isDigit(b[7]) {
			h := int(b[0]-'0')*10 + int(b[1]-'0')
			m := int(b[3]-'0')*10 + int(b[4]-'0')
			s := int(b[6]-'0')*10 + int(b[7]-'0')
			return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(s)*time.Second, true
		}
	}
	return 0, false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' }
