package tailer

import (
	"sync"
	"sync/atomic"
)

// FileStats counts what the tailer did with one path. Counters cover the
// current Run and every file read under the path (its rotated files
// included).
type FileStats struct {
	Path  string
	Lines int64 // lines delivered
	Bytes int64 // bytes consumed, newlines and skipped lines included
	// Renames counts files rotated away by a rename (seen live, or found
	// renamed at start-up); Deletes those deleted (and usually created
	// again); Truncations those truncated or rewritten in place
	// (copytruncate), read again from 0.
	Renames, Deletes, Truncations int64
	TooLong                       int64 // lines over MaxLineBytes, skipped
	NulBytes                      int64 // NUL bytes dropped at the start of lines
	OpenErrors                    int64 // failed attempts to open a file (e.g. permission denied)
	// Lost counts files whose unread lines could not be read: a
	// checkpointed file deleted while the tailer was stopped, or a
	// truncated file whose unread end no copy holds.
	Lost   int64
	Offset int64 // bytes consumed in the file now at the path
	Lag    int64 // bytes not consumed yet (a partial line counts), in every open file of the path
}

// fileStats is the live, concurrently updated form of [FileStats].
type fileStats struct {
	path                           string
	lines, bytes, renames, deletes atomic.Int64
	truncations, tooLong, nulBytes atomic.Int64
	openErrors, lost, offset       atomic.Int64
	mu                             sync.Mutex
	lag                            map[FileID]int64 // guarded by mu
}

func newFileStats(path string) *fileStats {
	return &fileStats{path: path, lag: make(map[FileID]int64)}
}

// setLag records how many bytes of a file of the path are not consumed
// yet (a line still being written counts); live says whether it is the
// file at the path, whose consumed offset is off.
func (s *fileStats) setLag(id FileID, live bool, off, lag int64) {
	if live {
		s.offset.Store(off)
	}
	s.mu.Lock()
	s.lag[id] = max(lag, 0)
	s.mu.Unlock()
}

// forget drops a closed file's lag.
func (s *fileStats) forget(id FileID) {
	s.mu.Lock()
	delete(s.lag, id)
	s.mu.Unlock()
}

func (s *fileStats) snapshot() FileStats {
	st := FileStats{
		Path:        s.path,
		Lines:       s.lines.Load(),
		Bytes:       s.bytes.Load(),
		Renames:     s.renames.Load(),
		Deletes:     s.deletes.Load(),
		Truncations: s.truncations.Load(),
		TooLong:     s.tooLong.Load(),
		NulBytes:    s.nulBytes.Load(),
		OpenErrors:  s.openErrors.Load(),
		Lost:        s.lost.Load(),
		Offset:      s.offset.Load(),
	}
	s.mu.Lock()
	for _, l := range s.lag {
		st.Lag += l
	}
	s.mu.Unlock()
	return st
}
