package tailer

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// readBufferBytes is the size of each file's read buffer: the most the
// tailer reads at once, and the longest run of bytes it looks at to find
// a line's end.
const readBufferBytes = 64 << 10

// errIncomplete says that a gzip file ended before its end marker: it is
// still being written (by logrotate's compress) and is read again later.
var errIncomplete = errors.New("gzip file incomplete")

// file is one open file (one inode), read by the tailer's own descriptor.
// The tailer holds it open from the moment it is seen until it has been
// read to its end, so a rename or delete never makes it read another
// file. It is owned by one goroutine at a time.
type file struct {
	f    *os.File
	name string // the name it was opened by, for messages
	id   FileID
	gz   bool // gzip-compressed: read once, as a finished file, through gzip
	// off is the number of bytes consumed (decompressed for gzip): just
	// after the last line delivered or skipped.
	off int64
	// head holds the file's first bytes, up to fingerprintBytes, as far as
	// they have been read; fp caches fingerprint(head) once head is full.
	head []byte
	fp   string

	// The line splitter's state, kept between reads so that a line still
	// being written is never read twice nor held whole.
	br      *bufio.Reader
	zr      *gzip.Reader
	pos     int64  // where br's next byte is in the file
	partial []byte // the current line's bytes so far (at most maxLen)
	long    bool   // the current line is over maxLen: skipped as it comes
	nul     int64  // NUL bytes dropped at the current line's start
	// readAt is when the last read from f returned bytes: the read time
	// of the lines they complete.
	readAt time.Time
}

// stamped reads x's file and notes when each read returned bytes: one
// clock reading per buffer filled (64 KiB, or what one write appended),
// not one per line.
type stamped struct{ x *file }

func (s stamped) Read(p []byte) (int, error) {
	n, err := s.x.f.Read(p)
	if n > 0 {
		s.x.readAt = time.Now()
	}
	return n, err
}

// openFile opens path with open and records its identity. A directory
// or other non-regular file is refused.
func openFile(open func(string) (*os.File, error), path string) (*file, os.FileInfo, error) {
	f, err := open(path)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("stat %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, nil, fmt.Errorf("open %s: %w", path, errNotRegular)
	}
	x := &file{f: f, name: path}
	x.id = idOf(fi)
	var magic [2]byte
	if n, _ := f.ReadAt(magic[:], 0); n == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		x.gz = true
	}
	return x, fi, nil
}

var errNotRegular = errors.New("not a regular file")

func (x *file) close() { x.f.Close() }

// size returns the file's current size (compressed, for gzip).
func (x *file) size() (int64, error) {
	fi, err := x.f.Stat()
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// seek sets the consumed offset to off (at start-up or after a
// truncation) and restarts the line splitter there. For a gzip file it
// decompresses from the start and discards off bytes; a file shorter
// than off is read from its end.
func (x *file) seek(off int64) error {
	x.partial, x.long, x.nul = x.partial[:0], false, 0
	if x.zr != nil {
		x.zr.Close()
		x.zr = nil
	}
	if _, err := x.f.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("seek %s: %w", x.name, err)
	}
	if !x.gz {
		if _, err := x.f.Seek(off, io.SeekStart); err != nil {
			return fmt.Errorf("seek %s: %w", x.name, err)
		}
		x.resetReader(stamped{x})
		x.off, x.pos = off, off
		return nil
	}
	// Until the discard succeeds the reader is not usable: read seeks
	// again (a file still being compressed is retried later).
	x.off, x.pos, x.br = off, off, nil
	zr, err := gzip.NewReader(bufio.NewReaderSize(stamped{x}, readBufferBytes))
	if err != nil {
		return x.gzipError(err)
	}
	br := bufio.NewReaderSize(zr, readBufferBytes)
	n, err := io.CopyN(io.Discard, br, off)
	if err != nil && !errors.Is(err, io.EOF) {
		zr.Close()
		return x.gzipError(err)
	}
	x.zr, x.br = zr, br
	x.off, x.pos = n, n
	return nil
}

func (x *file) resetReader(r io.Reader) {
	if x.br == nil {
		x.br = bufio.NewReaderSize(r, readBufferBytes)
	} else {
		x.br.Reset(r)
	}
}

func (x *file) gzipError(err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return errIncomplete
	}
	return fmt.Errorf("read %s: %w", x.name, err)
}

// readHead makes x.head hold the file's first min(n, fingerprintBytes)
// bytes, or as many as it has.
func (x *file) readHead(n int) error {
	n = min(n, fingerprintBytes)
	if len(x.head) >= n {
		return nil
	}
	if !x.gz {
		b := make([]byte, fingerprintBytes)
		k, err := x.f.ReadAt(b, 0)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read %s: %w", x.name, err)
		}
		x.head, x.fp = b[:k], ""
		return nil
	}
	zr, err := gzip.NewReader(io.NewSectionReader(x.f, 0, 1<<62))
	if err != nil {
		return x.gzipError(err)
	}
	defer zr.Close()
	b := make([]byte, fingerprintBytes)
	k, err := io.ReadFull(zr, b)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		// Fewer bytes than asked: the whole content, or a file still
		// being written.
		if _, err = zr.Read(make([]byte, 1)); errors.Is(err, io.EOF) {
			err = nil
		}
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return x.gzipError(err)
	}
	x.head, x.fp = b[:k], ""
	return nil
}

// fingerprintAt returns the fingerprint of the file's first
// coverage(off) bytes, and false if the file has fewer.
func (x *file) fingerprintAt(off int64) (string, bool) {
	n := coverage(off)
	if err := x.readHead(n); err != nil || len(x.head) < n {
		return "", false
	}
	if n == fingerprintBytes {
		if x.fp == "" {
			x.fp = fingerprint(x.head[:n])
		}
		return x.fp, true
	}
	return fingerprint(x.head[:n]), true
}

// matches reports whether c describes this file's content: the same
// first bytes as c had consumed. It says nothing of the identity.
func (x *file) matches(c Checkpoint) bool {
	if c.Offset < 0 {
		return false
	}
	fp, ok := x.fingerprintAt(c.Offset)
	return ok && fp == c.Fingerprint
}

// checkpoint is the position after the last consumed byte.
func (x *file) checkpoint(path string) Checkpoint {
	fp, _ := x.fingerprintAt(x.off)
	return Checkpoint{Path: path, Dev: x.id.Dev, Inode: x.id.Inode, Offset: x.off, Fingerprint: fp}
}

// rewritten reports whether the file was truncated below what was read,
// or its first bytes changed: it must be read again from 0. Always false
// for gzip files, which are read once.
func (x *file) rewritten() (bool, string) {
	if x.gz {
		return false, ""
	}
	size, err := x.size()
	if err != nil {
		return false, ""
	}
	if size < x.pos {
		return true, fmt.Sprintf("size %d below offset %d", size, x.pos)
	}
	n := len(x.head)
	if n == 0 {
		return false, ""
	}
	b := make([]byte, n)
	k, err := x.f.ReadAt(b, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return false, "" // unreadable now: looked at again at the next check
	}
	if k < n || !bytes.Equal(b, x.head) {
		return true, "first bytes rewritten"
	}
	return false, ""
}

// lineFunc receives one line read by [file.read]: text without its "\n"
// (valid only during the call; nil when tooLong), nul the NUL bytes
// dropped from its start, and end the offset after it.
type lineFunc func(text []byte, tooLong bool, nul int64, end int64) error

// read reads lines from where the last read stopped to the current end
// of the file, calling fn for each complete one. A trailing fragment
// without "\n" is kept for the next read unless final is set (the file
// is being closed for good): then it counts as a line. A line over
// maxLen is reported tooLong and never held beyond maxLen bytes; NUL
// bytes at a line's start (what a crash leaves in a log) are dropped and
// counted. Memory stays within maxLen plus one read buffer, whatever
// the file holds.
func (x *file) read(maxLen int, final bool, stop func() bool, fn lineFunc) error {
	if x.br == nil {
		if err := x.seek(x.off); err != nil {
			return err
		}
	}
	for {
		if stop() {
			return nil
		}
		chunk, err := x.br.ReadSlice('\n')
		x.pos += int64(len(chunk))
		if len(x.partial) == 0 && !x.long {
			trimmed := bytes.TrimLeft(chunk, "\x00")
			x.nul += int64(len(chunk) - len(trimmed))
			chunk = trimmed
		}
		body := chunk
		if err == nil {
			body = chunk[:len(chunk)-1]
		}
		var line []byte
		if !x.long {
			switch {
			case len(x.partial)+len(body) > maxLen:
				x.long, x.partial = true, x.partial[:0]
			case len(x.partial) == 0 && err == nil:
				line = body // a whole line in the buffer: no copy
			default:
				x.partial = append(x.partial, body...)
				line = x.partial
			}
		}
		switch {
		case err == nil:
			if err := x.emit(line, fn); err != nil {
				return err
			}
		case errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			if !final || x.pos == x.off {
				return nil
			}
			// The file is finished: its unterminated last line counts.
			return x.emit(bytes.Clone(line), fn)
		case x.gz:
			return x.gzipError(err)
		default:
			return fmt.Errorf("read %s: %w", x.name, err)
		}
	}
}

// emit passes the line that ends at x.pos to fn and starts the next.
func (x *file) emit(line []byte, fn lineFunc) error {
	long, nul := x.long, x.nul
	x.partial, x.long, x.nul = x.partial[:0], false, 0
	if long {
		line = nil
	}
	if err := fn(line, long, nul, x.pos); err != nil {
		return err
	}
	x.off = x.pos
	return nil
}
