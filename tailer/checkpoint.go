package tailer

import (
	"crypto/sha256"
	"encoding/hex"
)

// fingerprintBytes is how much of a file's beginning a fingerprint covers.
const fingerprintBytes = 1024

// FileID is a file's identity on this machine: its device and inode.
type FileID struct{ Dev, Inode uint64 }

// Checkpoint says where reading a file stopped. A file is known by its
// identity (device and inode) and by the fingerprint of its first bytes,
// whatever its name: a renamed file is found again by its identity, a
// compressed or copied one by its fingerprint.
type Checkpoint struct {
	// Path is the path the file's lines are reported under ([Line.Path]):
	// the path it was followed at, not the name a rotated file has now.
	Path       string
	Dev, Inode uint64
	// Offset is the number of bytes consumed: just after the last line
	// delivered (for a gzip file, in decompressed bytes).
	Offset int64
	// Fingerprint is the hex SHA-256 of the file's first
	// min(1024, Offset) bytes (decompressed for a gzip file), to tell a
	// new file from a truncated or replaced one, and to find the file
	// again once compressed or copied. It covers the consumed bytes
	// rather than the whole size so that it stays comparable while the
	// file grows.
	Fingerprint string
	// Done says that the file was read to its end and closed: it was
	// rotated away and drained, or it is compressed. It is read again
	// only if it grows.
	Done bool `json:",omitempty"`
	// Seq tells apart, within one run, two files that had the same
	// identity one after the other (an inode is reused once its file is
	// deleted): [Tailer.Checkpoints] takes a processed position only if
	// it is of the file it knows under that identity now. It is not
	// saved: positions restored from a previous run have 0, as the files
	// resumed from them do.
	Seq uint64 `json:"-"`
}

// ID returns the identity of the checkpoint's file.
func (c Checkpoint) ID() FileID { return FileID{c.Dev, c.Inode} }

// fingerprint returns the hex SHA-256 of b.
func fingerprint(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// coverage is how many bytes a fingerprint at offset off covers.
func coverage(off int64) int {
	return int(max(min(off, fingerprintBytes), 0))
}
