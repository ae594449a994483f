package slidinghll

// table maps sparse keys to the low 32 bits of a step: an open-addressing
// hash table with linear probing, whose slots pack key<<32 | step. Key 0
// marks an empty slot: no hash encodes to it (its form bit says the rank is
// in the key, and a zero rank is none). A sparse key is already uniform
// hash bits, so a multiplication spreads it. It grows at 3/4 full, and
// shrinks to fit once an eighth full, so that it follows the window's
// keys both ways; a deletion shifts the probe run back instead of leaving
// a tombstone. Against a Go map it takes one probe sequence per operation
// and 8 bytes a slot.
type table struct {
	slots []uint64
	n     int
	shift uint8 // 64 - log2(len(slots))
}

const minTableSlots = 8

// home returns the slot key k hashes to.
func (t *table) home(k uint32) int { return int((uint64(k) * 0x9e3779b97f4a7c15) >> t.shift) }

func (t *table) len() int { return t.n }

// find returns the slot of key k, or of the empty slot where it belongs.
func (t *table) find(k uint32) int {
	mask := len(t.slots) - 1
	i := t.home(k)
	for {
		s := t.slots[i]
		if s == 0 || uint32(s>>32) == k {
			return i
		}
		i = (i + 1) & mask
	}
}

// get returns key k's value.
func (t *table) get(k uint32) (uint32, bool) {
	if t.n == 0 {
		return 0, false
	}
	s := t.slots[t.find(k)]
	return uint32(s), s != 0
}

// put sets key k's value to v, unless the key holds a value that keep
// (if not nil) prefers; it reports whether it set it.
func (t *table) put(k, v uint32, keep func(old uint32) bool) bool {
	if (t.n+1)*4 > len(t.slots)*3 {
		t.resize(max(2*len(t.slots), minTableSlots))
	}
	i := t.find(k)
	if s := t.slots[i]; s != 0 {
		if keep != nil && keep(uint32(s)) {
			return false
		}
	} else {
		t.n++
	}
	t.slots[i] = uint64(k)<<32 | uint64(v)
	return true
}

// del removes key k if it holds v, and reports whether it did.
func (t *table) del(k, v uint32) bool {
	if t.n == 0 {
		return false
	}
	i := t.find(k)
	if t.slots[i] != uint64(k)<<32|uint64(v) {
		return false
	}
	mask := len(t.slots) - 1
	for j := (i + 1) & mask; t.slots[j] != 0; j = (j + 1) & mask {
		// The entry at j may move back to the hole at i if i is on its
		// probe path: no farther from its home than j is.
		if h := t.home(uint32(t.slots[j] >> 32)); (j-h)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = 0
	t.n--
	if t.n*8 < len(t.slots) && len(t.slots) > minTableSlots {
		t.resize(len(t.slots) / 2)
	}
	return true
}

// resize rehashes the table into size slots (a power of two), or drops
// its slots when it is empty.
func (t *table) resize(size int) {
	old := t.slots
	if t.n == 0 && len(old) > 0 {
		t.slots, t.shift = nil, 0
		if size <= len(old) {
			return
		}
	}
	t.slots = make([]uint64, size)
	t.shift = uint8(64 - log2(size))
	for _, s := range old {
		if s != 0 {
			t.slots[t.find(uint32(s>>32))] = s
		}
	}
}

// each calls f for every key and value, in no order.
func (t *table) each(f func(k, v uint32)) {
	for _, s := range t.slots {
		if s != 0 {
			f(uint32(s>>32), uint32(s))
		}
	}
}
