package slidinghll

// dense holds, for each of the 2^14 registers, its list of possible future
// maxima (LPFM): the (step, rank) pairs of the window that no later pair
// of the register dominates, oldest first, so that steps strictly increase
// and ranks strictly decrease along a list. The register's maximum over
// the window is the rank of the list's first pair. A list holds at most
// maxRank pairs and, under uniform hashes, about ln(k)/2+1 for k inserts
// in the window.
//
// The lists live in blocks of one arena: a block's capacity is a power of
// two, a full block moves to the end of the arena at twice its size, and
// the arena is compacted once its dead blocks outweigh half the live ones,
// or its blocks have room for eight times the pairs they hold.
type dense struct {
	blk   []uint32           // per register: block offset<<3 | log2(capacity), or noBlock
	n     []uint8            // per register: pairs in its list
	ents  []uint32           // the blocks: pairs packed as step<<6 | rank
	used  int                // Σ block capacities: len(ents)-used is dead
	live  int                // Σ n
	cnt   [maxRank + 1]int32 // registers by the rank of their maximum; cnt[0]: empty ones
	est   uint64             // the estimate, when estOK
	estOK bool
	q     queue[uint16] // a register's visit at the step of each pair
}

const (
	noBlock  = ^uint32(0)
	stepBits = 32 - 6 // a pair keeps the low 26 bits of its step
	stepMask = 1<<stepBits - 1

	// minDead is the dead arena space under which the arena is never
	// compacted: compacting costs O(m), paid for by at least as many
	// inserts.
	minDead = m / 4
)

func newDense() *dense {
	d := &dense{blk: make([]uint32, m), n: make([]uint8, m)}
	for j := range d.blk {
		d.blk[j] = noBlock
	}
	d.cnt[0] = m
	return d
}

func pack(step int64, r uint8) uint32 { return uint32(step)<<6 | uint32(r) }

func rankOf(e uint32) uint8 { return uint8(e & 0x3f) }

// stepOf returns the step of pair e: the one at or before newest whose low
// 26 bits e holds. The window's pairs are less than 2×MaxSpan ≤ 2^26 steps
// before newest, even while Advance expires them.
func stepOf(newest int64, e uint32) int64 {
	return newest - int64((uint32(newest)-e>>6)&stepMask)
}

// sameStep reports whether pair e is at step: their low 26 bits are
// equal, which tells apart the steps of a window.
func sameStep(e uint32, step int64) bool { return (e^uint32(step)<<6)>>6 == 0 }

// list returns register j's pairs, in a slice whose capacity is its block.
func (d *dense) list(j uint32) []uint32 {
	b := d.blk[j]
	if b == noBlock {
		return nil
	}
	off := b >> 3
	return d.ents[off : off+uint32(d.n[j]) : off+1<<(b&7)]
}

// max returns register j's maximum over the window, 0 when empty.
func (d *dense) max(j uint32) uint8 {
	if d.n[j] == 0 {
		return 0
	}
	return rankOf(d.ents[d.blk[j]>>3])
}

// insert adds rank r at step (at or before newest, within the window) to
// register j and queues the visit that will expire it.
func (d *dense) insert(j uint32, step, newest int64, r uint8) {
	if !d.place(j, step, newest, r) {
		return
	}
	d.q.push(step, uint16(j))
	if d.q.due() {
		d.q.compact(func(step int64, j uint16) bool { return d.has(uint32(j), step, newest) })
	}
}

// place adds rank r at step to register j's list: the pair is dropped if
// a pair at the same or a later step has a rank as high, and it drops the
// pairs at the same or earlier steps whose ranks are not higher. It
// reports whether the list gained a pair at a step it had none at: the
// pair then needs a visit queued.
func (d *dense) place(j uint32, step, newest int64, r uint8) bool {
	es := d.list(j)
	n := len(es)
	i := n // es[i:] are the pairs after step: none when step is the newest
	if step != newest {
		for i > 0 && stepOf(newest, es[i-1]) > step {
			i--
		}
		if i < n && rankOf(es[i]) >= r {
			return false // dominated by a later pair
		}
	}
	same := i > 0 && sameStep(es[i-1], step)
	if same && rankOf(es[i-1]) >= r {
		return false // dominated at its own step
	}
	k := i // es[k:i] are the dominated pairs
	for k > 0 && rankOf(es[k-1]) <= r {
		k--
	}
	old := uint8(0)
	if n > 0 {
		old = rankOf(es[0])
	}
	nn := k + 1 + n - i
	if nn > cap(es) {
		es = d.grow(j, es)
	}
	es = es[:nn]
	if i < n {
		copy(es[k+1:], es[i:n])
	}
	es[k] = pack(step, r)
	d.n[j] = uint8(nn)
	d.live += nn - n
	if k == 0 {
		d.setMax(old, r)
	}
	return !same
}

// grow moves register j's list es to a block of twice its capacity at the
// end of the arena, and returns it there. The dead blocks it leaves behind
// are reclaimed by compacting the arena once they outweigh half the live
// ones: amortized O(1) per move.
func (d *dense) grow(j uint32, es []uint32) []uint32 {
	c := max(2*cap(es), 2)
	off := len(d.ents)
	if off+c > cap(d.ents) {
		d.ents = append(d.ents[:cap(d.ents)], make([]uint32, off+c-cap(d.ents))...)
	}
	d.ents = d.ents[:off+c]
	moved := d.ents[off : off+len(es) : off+c]
	copy(moved, es)
	d.used += c - cap(es)
	d.blk[j] = uint32(off)<<3 | uint32(log2(c))
	if len(d.ents)-d.used > max(d.used/2, minDead) {
		d.compactArena()
		return d.list(j)[:len(es)]
	}
	return moved
}

// compactArena copies every list into a new arena, each in the smallest
// block with room for one more pair, and frees the blocks of empty lists.
func (d *dense) compactArena() {
	size := 0
	for _, n := range d.n {
		if n > 0 {
			size += blockCap(int(n))
		}
	}
	ents := make([]uint32, 0, size+size/4)
	for j := range d.blk {
		es := d.list(uint32(j))
		if len(es) == 0 {
			d.blk[j] = noBlock
			continue
		}
		c := blockCap(len(es))
		off := len(ents)
		ents = append(ents, es...)
		ents = ents[:off+c]
		d.blk[j] = uint32(off)<<3 | uint32(log2(c))
	}
	d.ents, d.used = ents, size
}

// blockCap is the capacity of a compacted block of n pairs.
func blockCap(n int) int {
	c := 2
	for c < n+1 {
		c <<= 1
	}
	return c
}

// log2 returns ⌊log2(x)⌋ for x ≥ 1.
func log2(x int) int {
	l := 0
	for x > 1 {
		x >>= 1
		l++
	}
	return l
}

// expire drops the pairs before start from the lists queued for it, and
// compacts the arena once its blocks have room for eight times the pairs
// they hold: memory follows the traffic down while the window stays dense.
// Compacting then costs amortized O(1) per pair expired.
func (d *dense) expire(start, newest int64) {
	d.q.expire(start, func(_ int64, j uint16) { d.expireList(uint32(j), start, newest) })
	if d.used > 8*d.live+minDead {
		d.compactArena()
	}
}

// expireList drops register j's pairs before start.
func (d *dense) expireList(j uint32, start, newest int64) {
	es := d.list(j)
	k := 0
	for k < len(es) && stepOf(newest, es[k]) < start {
		k++
	}
	if k == 0 {
		return
	}
	old, r := rankOf(es[0]), uint8(0)
	if k < len(es) {
		r = rankOf(es[k])
	}
	if k < len(es) {
		copy(es, es[k:])
	}
	d.n[j] -= uint8(k)
	d.live -= k
	d.setMax(old, r)
}

// has reports whether register j's list has a pair at step.
func (d *dense) has(j uint32, step, newest int64) bool {
	for _, e := range d.list(j) {
		if sameStep(e, step) {
			return true
		}
	}
	return false
}

// covers reports whether sparse key k at step is in the registers: its
// register holds a pair at or after step with a rank as high.
func (d *dense) covers(k uint32, step, newest int64) bool {
	j, r := decodeKey(k)
	for _, e := range d.list(j) {
		if stepOf(newest, e) >= step && rankOf(e) >= r {
			return true
		}
	}
	return false
}

// setMax moves a register from rank old to rank r in the counts.
func (d *dense) setMax(old, r uint8) {
	if old != r {
		d.cnt[old]--
		d.cnt[r]++
		d.estOK = false
	}
}

// empty reports whether every register is empty.
func (d *dense) empty() bool { return d.cnt[0] == m }

// nonzero returns the number of registers that are not empty.
func (d *dense) nonzero() int { return m - int(d.cnt[0]) }

// estimate returns axiomhq's dense estimate of the registers' maxima. The
// sum of 2^-M[j] is taken over the counts per rank: every term and every
// partial sum is exact while no maximum exceeds 38 (over 2^38 distinct
// values), so the sum is the one axiomhq takes register by register.
func (d *dense) estimate() uint64 {
	if !d.estOK {
		var sum float64
		for r := maxRank; r >= 0; r-- {
			if c := d.cnt[r]; c != 0 {
				sum += float64(c) * pow2neg[r]
			}
		}
		d.est, d.estOK = denseEstimate(sum, float64(d.cnt[0])), true
	}
	return d.est
}
