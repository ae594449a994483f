package tailer

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"time"
)

// generation is one file (one inode) behind a path, held open by the
// tailer from the moment it is seen until it has been read to the end.
type generation struct {
	f        *os.File
	dev, ino uint64
	// off is the number of bytes consumed: just after the last line
	// delivered or skipped.
	off int64
	// prefix holds the file's first min(1024, off) bytes, as consumed.
	prefix []byte
	fp     string // fingerprint(prefix) once len(prefix) == fingerprintBytes
	// rotatedAt is when another file was seen at the path (zero while
	// this one is still there, as far as the tailer knows).
	rotatedAt time.Time
}

// openGeneration opens path with open and records its identity.
func openGeneration(open func(string) (*os.File, error), path string) (*generation, int64, error) {
	f, err := open(path)
	if err != nil {
		return nil, 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, fmt.Errorf("stat %s: %w", path, err)
	}
	if fi.IsDir() {
		f.Close()
		return nil, 0, fmt.Errorf("open %s: is a directory", path)
	}
	g := &generation{f: f}
	g.dev, g.ino = fileID(fi)
	return g, fi.Size(), nil
}

func (g *generation) close() { g.f.Close() }

// seek sets the consumed offset to off (at start-up or after a
// truncation) and reloads the prefix.
func (g *generation) seek(off int64) error {
	g.off, g.fp = off, ""
	p, err := readPrefix(g.f, off)
	if err != nil {
		return err
	}
	g.prefix = p
	return nil
}

// consume records that b (a line with its "\n", or a final fragment) was
// consumed, ending at end.
func (g *generation) consume(b []byte, nl bool, end int64) {
	if n := int64(len(g.prefix)); n < fingerprintBytes && n == g.off {
		g.prefix = append(g.prefix, b[:min(len(b), fingerprintBytes-len(g.prefix))]...)
		if nl && len(g.prefix) < fingerprintBytes {
			g.prefix = append(g.prefix, '\n')
		}
	}
	g.off = end
	if int64(len(g.prefix)) < min(end, fingerprintBytes) {
		// A skipped line began inside the prefix: read it back.
		if p, err := readPrefix(g.f, end); err == nil {
			g.prefix = p
		}
	}
}

// checkpoint is the position after the last consumed byte.
func (g *generation) checkpoint(path string) Checkpoint {
	fp := g.fp
	if fp == "" {
		fp = fingerprint(g.prefix)
		if len(g.prefix) == fingerprintBytes {
			g.fp = fp
		}
	}
	return Checkpoint{Path: path, Dev: g.dev, Inode: g.ino, Offset: g.off, Fingerprint: fp}
}

// lineFunc receives a line read by [generation.readOwn]: text without its
// "\n" (valid only during the call; nil if tooLong) and the offset after it.
type lineFunc func(text []byte, nl, tooLong bool, end int64) error

// readOwn reads complete lines from g.off to the current end of the file
// by the tailer's own descriptor, without the library, calling fn for each.
// A trailing fragment without "\n" is left unread unless final is set
// (the file is being closed for good). Lines over maxLen are reported with
// tooLong and never held in memory beyond maxLen.
func (g *generation) readOwn(ctx context.Context, maxLen int, final bool, fn lineFunc) error {
	sr := io.NewSectionReader(g.f, g.off, math.MaxInt64-g.off)
	br := bufio.NewReaderSize(sr, 64<<10)
	pos := g.off
	var buf []byte
	skipping := false
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		chunk, err := br.ReadSlice('\n')
		pos += int64(len(chunk))
		switch {
		case err == nil:
			if !skipping {
				line := chunk[:len(chunk)-1]
				if buf != nil {
					buf = append(buf, line...)
					line = buf
				}
				if len(line) > maxLen {
					skipping = true
				} else if err := fn(line, true, false, pos); err != nil {
					return err
				}
			}
			if skipping {
				if err := fn(nil, true, true, pos); err != nil {
					return err
				}
			}
			buf, skipping = nil, false
		case errors.Is(err, bufio.ErrBufferFull):
			if !skipping {
				buf = append(buf, chunk...)
				if len(buf) > maxLen {
					buf, skipping = nil, true
				}
			}
		case errors.Is(err, io.EOF):
			if pos == g.off || !final {
				return nil
			}
			// The file is finished: its unterminated last line counts.
			if !skipping {
				line := append(buf, chunk...)
				if len(line) > maxLen {
					skipping = true
				} else {
					return fn(bytes.Clone(line), false, false, pos)
				}
			}
			return fn(nil, false, true, pos)
		default:
			return fmt.Errorf("read %s: %w", g.f.Name(), err)
		}
	}
}
