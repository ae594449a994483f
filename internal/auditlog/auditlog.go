// Package auditlog is the one audit log writer of sentinel, for the
// actions' attempts (actions.jsonl) and the requests to signed links
// (links.jsonl): entries appended as JSON lines to a file of mode 0600,
// rotated to a single ".1" generation past a size, and the last entries
// kept in memory for the status API and the confirmation pages. It never
// loses an entry from memory because the file failed, and never reads
// more than a bounded tail of an old file back.
package auditlog

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
)

// Options shape a [Log].
type Options struct {
	// Name names the log in errors: "audit log" gives "write audit log: …".
	Name string
	// MaxBytes is the size past which the file is rotated to path.1 (one
	// generation is kept).
	MaxBytes int64
	// Recent is how many entries are kept in memory.
	Recent int
	// ReadBack, when above 0, is how many bytes at the end of an existing
	// file [Open] reads back into the recent entries, so that they survive
	// a restart.
	ReadBack int64
}

// Log appends entries of type E as JSON lines and keeps the last
// Options.Recent of them. It is safe for concurrent use.
type Log[E any] struct {
	opts Options

	mu     sync.Mutex // guards the fields below
	path   string     // "" once closed, or for a log in memory only
	f      *os.File
	size   int64
	recent []E
}

// New returns a log appending to the file at path, opened (and created)
// with the first entry; "" keeps entries in memory only.
func New[E any](path string, opts Options) *Log[E] {
	return &Log[E]{opts: opts, path: path}
}

// Open opens (or creates) the file at path at once and reads the last
// Options.ReadBack bytes of it back into the recent entries; lines it
// cannot decode (a torn last line, the cut first line of the tail) are
// skipped. "" keeps entries in memory only.
func Open[E any](path string, opts Options) (*Log[E], error) {
	l := New[E](path, opts)
	if path == "" {
		return l, nil
	}
	if err := l.open(); err != nil {
		return nil, err
	}
	if opts.ReadBack > 0 {
		l.readBack()
	}
	return l, nil
}

func (l *Log[E]) open() error {
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open %s: %w", l.opts.Name, err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("open %s: %w", l.opts.Name, err)
	}
	l.f, l.size = f, st.Size()
	return nil
}

// readBack loads the entries of the file's tail into recent.
func (l *Log[E]) readBack() {
	off := max(l.size-l.opts.ReadBack, 0)
	sc := bufio.NewScanner(io.NewSectionReader(l.f, off, l.size-off))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	first := off > 0
	for sc.Scan() {
		if first { // the first line of a tail may be cut
			first = false
			continue
		}
		var e E
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			l.keep(e)
		}
	}
}

// keep adds e to recent. The caller holds mu (or owns l).
func (l *Log[E]) keep(e E) {
	l.recent = append(l.recent, e)
	if len(l.recent) > l.opts.Recent {
		l.recent = l.recent[len(l.recent)-l.opts.Recent:]
	}
}

// Record appends e. A write failure is returned; the entry is still kept
// in memory.
func (l *Log[E]) Record(e E) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.keep(e)
	if l.path == "" {
		return nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("%s: %w", l.opts.Name, err)
	}
	b = append(b, '\n')
	if l.f == nil || l.size+int64(len(b)) > l.opts.MaxBytes {
		if err := l.rotate(); err != nil {
			return err
		}
	}
	n, err := l.f.Write(b)
	l.size += int64(n)
	if err != nil {
		return fmt.Errorf("write %s: %w", l.opts.Name, err)
	}
	return nil
}

// rotate moves a full file to path.1 and starts a new one; without a file
// open yet, it opens the one at path.
func (l *Log[E]) rotate() error {
	if l.f != nil {
		_ = l.f.Close()
		l.f = nil
		if l.size > 0 {
			if err := os.Rename(l.path, l.path+".1"); err != nil {
				return fmt.Errorf("rotate %s: %w", l.opts.Name, err)
			}
		}
	}
	return l.open()
}

// Recent returns the entries kept in memory, oldest first.
func (l *Log[E]) Recent() []E {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]E(nil), l.recent...)
}

// Close closes the file; later entries are kept in memory only. It is
// safe to call twice.
func (l *Log[E]) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.path = ""
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
