package tailer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
)

// fingerprintBytes is how much of a file's beginning a fingerprint covers.
const fingerprintBytes = 1024

// Checkpoint says where reading a file stopped.
type Checkpoint struct {
	Path       string // the pattern match, as in [Line.Path]
	Dev, Inode uint64
	// Offset is the number of bytes consumed: just after the last line
	// delivered.
	Offset int64
	// Fingerprint is the hex SHA-256 of the file's first
	// min(1024, Offset) bytes, to tell a new file from a truncated or
	// replaced one. It covers the consumed bytes rather than the whole
	// size so that it stays comparable while the file grows.
	Fingerprint string
}

// fingerprint returns the hex SHA-256 of b.
func fingerprint(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// readPrefix reads the first min(1024, off) bytes of f.
func readPrefix(f *os.File, off int64) ([]byte, error) {
	n := min(off, fingerprintBytes)
	b := make([]byte, n)
	if _, err := f.ReadAt(b, 0); err != nil && !(errors.Is(err, io.EOF) && n == 0) {
		return nil, fmt.Errorf("read prefix of %s: %w", f.Name(), err)
	}
	return b, nil
}

// matches reports whether c can be resumed in f: same offset range and the
// same consumed prefix. size is f's current size.
func (c Checkpoint) matches(f *os.File, size int64) bool {
	if c.Offset < 0 || c.Offset > size {
		return false
	}
	p, err := readPrefix(f, c.Offset)
	if err != nil {
		return false
	}
	return fingerprint(p) == c.Fingerprint
}

// prefixEqual reports whether f still begins with p.
func prefixEqual(f *os.File, p []byte) (bool, error) {
	if len(p) == 0 {
		return true, nil
	}
	b := make([]byte, len(p))
	if _, err := f.ReadAt(b, 0); err != nil {
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		return false, fmt.Errorf("read prefix of %s: %w", f.Name(), err)
	}
	return bytes.Equal(b, p), nil
}
