package slidinghll

// sparse is the exact set of the window's sparse keys (axiomhq's sparse
// representation: the top 25 bits of a hash, and its rank when they do not
// give it), each with the newest step it was inserted at. Its estimate is
// axiomhq's sparse estimate, linear counting among 2^25, nearly exact for
// the few thousand keys it holds before the window turns dense.
type sparse struct {
	keys map[uint32]uint32 // key → uint32(step) of its newest insert
	peak int               // len(keys)'s high-water mark since keys was made
	q    queue[uint32]     // a key's visit at the step it was inserted at
}

func newSparse() *sparse { return &sparse{keys: make(map[uint32]uint32)} }

func (s *sparse) len() int { return len(s.keys) }

// insert records key at step; newest is the window's newest step, at or
// after step.
func (s *sparse) insert(step, newest int64, key uint32) {
	if old, ok := s.keys[key]; ok && step32(newest, old) >= step {
		return
	}
	s.keys[key] = uint32(step)
	s.peak = max(s.peak, len(s.keys))
	s.q.push(step, key)
	if s.q.due() {
		s.q.compact(s.live)
	}
}

// live reports whether key's newest insert was at step: the queue's pair
// is then the one that will remove it. Steps compare on 32 bits, which
// tell apart every step of a window of at most MaxSpan.
func (s *sparse) live(step int64, key uint32) bool {
	v, ok := s.keys[key]
	return ok && v == uint32(step)
}

// expire removes the keys whose newest insert is before start.
func (s *sparse) expire(start int64) {
	s.q.expire(start, func(step int64, key uint32) {
		if s.live(step, key) {
			delete(s.keys, key)
		}
	})
	// A Go map keeps its buckets when it shrinks: copy one that fell to a
	// quarter of its peak, so that memory follows the traffic down.
	if s.peak > 64 && len(s.keys) < s.peak/4 {
		keys := make(map[uint32]uint32, len(s.keys))
		for k, v := range s.keys {
			keys[k] = v
		}
		s.keys, s.peak = keys, len(keys)
	}
}

func (s *sparse) estimate() uint64 { return sparseEstimate(len(s.keys)) }

// step32 returns the step whose low 32 bits are v, at or before newest and
// less than 2^32 steps before it.
func step32(newest int64, v uint32) int64 { return newest - int64(uint32(newest)-v) }
