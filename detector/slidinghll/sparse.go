package slidinghll

// sparse is the exact set of the window's sparse keys (axiomhq's sparse
// representation: the top 25 bits of a hash, and its rank when they do not
// give it), each with the newest step it was inserted at. Its estimate is
// axiomhq's sparse estimate, linear counting among 2^25, nearly exact for
// the few thousand keys it holds before the window turns dense.
type sparse struct {
	keys table         // key → uint32(step) of its newest insert
	q    queue[uint32] // a key's visit at the step it was inserted at
}

func newSparse() *sparse { return &sparse{} }

func (s *sparse) len() int { return s.keys.len() }

// insert records key at step; newest is the window's newest step, at or
// after step.
func (s *sparse) insert(step, newest int64, key uint32) {
	if !s.keys.put(key, uint32(step), func(old uint32) bool { return step32(newest, old) >= step }) {
		return
	}
	s.q.push(step, key)
	if s.q.due() {
		s.q.compact(s.live)
	}
}

// live reports whether key's newest insert was at step: the queue's pair
// is then the one that will remove it. Steps compare on 32 bits, which
// tell apart every step of a window of at most MaxSpan.
func (s *sparse) live(step int64, key uint32) bool {
	v, ok := s.keys.get(key)
	return ok && v == uint32(step)
}

// expire removes the keys whose newest insert is before start. The table
// shrinks as they go, so that memory follows the traffic down.
func (s *sparse) expire(start int64) {
	s.q.expire(start, func(step int64, key uint32) { s.keys.del(key, uint32(step)) })
}

func (s *sparse) estimate() uint64 { return sparseEstimate(s.keys.len()) }

// step32 returns the step whose low 32 bits are v, at or before newest and
// less than 2^32 steps before it.
func step32(newest int64, v uint32) int64 { return newest - int64(uint32(newest)-v) }
