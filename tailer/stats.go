package tailer

import "sync/atomic"

// FileStats counts what the tailer did with one path. Counters cover the
// current Run and all generations (rotated files) of the path.
type FileStats struct {
	Path        string
	Lines       int64 // lines delivered
	Bytes       int64 // bytes consumed, newlines and skipped lines included
	Rotations   int64 // renames or deletes followed to a new file
	Truncations int64 // truncations or in-place rewrites, read again from 0
	TooLong     int64 // lines over MaxLineBytes, skipped
	OpenErrors  int64 // failed attempts to open the file (e.g. permission denied)
	Offset      int64 // bytes consumed in the current file
	Lag         int64 // bytes behind the end of the current file, at the last check
}

// fileStats is the live, concurrently updated form of [FileStats].
type fileStats struct {
	path                                 string
	lines, bytes, rotations, truncations atomic.Int64
	tooLong, openErrors, offset, size    atomic.Int64
}

func (s *fileStats) snapshot() FileStats {
	off, size := s.offset.Load(), s.size.Load()
	return FileStats{
		Path:        s.path,
		Lines:       s.lines.Load(),
		Bytes:       s.bytes.Load(),
		Rotations:   s.rotations.Load(),
		Truncations: s.truncations.Load(),
		TooLong:     s.tooLong.Load(),
		OpenErrors:  s.openErrors.Load(),
		Offset:      off,
		Lag:         max(size-off, 0),
	}
}
