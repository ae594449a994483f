package detector

import (
	"bytes"
	"hash/maphash"
	"slices"
)

// maxKeyTableCapacity bounds a keyTable's capacity so that slot numbers and
// index positions fit in uint32 with room for the empty marker.
const maxKeyTableCapacity = 1 << 30

// keyCell is one position of a keyTable's open-addressing index.
type keyCell struct {
	hash uint32 // low 32 bits of the key's keyHash; hash&mask is its home position
	slot uint32 // slot number + 1; 0 marks an empty cell
}

// keyTable is the storage shared by [Counter] and [SpaceSaving]: a dense
// array of at most limit slots, allocated as keys arrive (doubling from
// initialSlots), so that a table that sees few keys costs little whatever
// its limit: a daemon may run thousands of rules, most of them idle. Each
// slot holds a key (copied into a byte buffer that belongs to the slot and
// is reused), its hash, a count and an error, plus an index from keys to
// slots.
//
// The index is open addressing with linear probing over a power-of-two array
// of at least twice the capacity (load factor ≤ 1/2), with backward-shift
// deletion, so there are no tombstones and a probe stops at the first empty
// cell. Slots 0..n-1 are in use; removing a slot moves the last slot into its
// place, so iteration is a plain loop and needs no free list.
//
// Nothing here allocates once the table has grown to the keys it holds and
// every slot's buffer is as long as the keys it is given. A keyTable is not
// safe for concurrent use.
type keyTable struct {
	limit  int // the most slots the table may hold
	mask   uint32
	cells  []keyCell
	n      int
	keys   [][]byte // per slot; the buffers of slots ≥ n are kept for reuse
	hashes []uint32 // per slot, the low 32 bits of keyHash(key)
	counts []uint64
	errs   []uint64
}

// initialSlots is how many slots a keyTable allocates for its first key.
const initialSlots = 8

// init makes t an empty table of at most capacity slots; it allocates
// nothing yet. It panics if capacity is out of range.
func (t *keyTable) init(who string, capacity int) {
	if capacity < 1 || capacity > maxKeyTableCapacity {
		panic("detector: " + who + ": capacity out of range")
	}
	*t = keyTable{limit: capacity}
}

func (t *keyTable) capacity() int { return t.limit }

func (t *keyTable) full() bool { return t.n == t.limit }

// grow makes room for at least one more slot, doubling the allocation up
// to the limit, and rebuilds the index when it must grow too. It reports
// the new number of allocated slots.
func (t *keyTable) grow() int {
	slots := min(max(2*len(t.keys), initialSlots), t.limit)
	t.keys = append(t.keys, make([][]byte, slots-len(t.keys))...)
	t.hashes = append(t.hashes, make([]uint32, slots-len(t.hashes))...)
	t.counts = append(t.counts, make([]uint64, slots-len(t.counts))...)
	t.errs = append(t.errs, make([]uint64, slots-len(t.errs))...)
	size := 2
	for size < 2*slots {
		size <<= 1
	}
	if size > len(t.cells) {
		t.cells = make([]keyCell, size)
		t.mask = uint32(size - 1)
		for s := range t.n {
			t.link(s)
		}
	}
	return slots
}

// hash returns the index hash of key.
func (t *keyTable) hash(key []byte) uint32 { return uint32(keyHash(key)) }

// keySeed seeds every hash of a key in the process, so that a key's hash,
// computed once per event ([Event.clientIPHash]), serves every table that
// keys on it. It is random per process, so that nobody can choose keys
// that collide; being immutable, it is no state shared between engines.
var keySeed = maphash.MakeSeed()

// keyHash is the hash of a key in every table of the package.
func keyHash(key []byte) uint64 { return maphash.Bytes(keySeed, key) }

// lookup returns the slot holding key, or -1.
func (t *keyTable) lookup(key []byte, h uint32) int {
	if t.cells == nil {
		return -1
	}
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		c := t.cells[i]
		if c.slot == 0 {
			return -1
		}
		if c.hash == h && bytes.Equal(t.keys[c.slot-1], key) {
			return int(c.slot - 1)
		}
	}
}

// lookupString is lookup for a key held as a string; h is its hash
// (maphash.String's is maphash.Bytes').
func (t *keyTable) lookupString(key string, h uint32) int {
	if t.cells == nil {
		return -1
	}
	for i := h & t.mask; ; i = (i + 1) & t.mask {
		c := t.cells[i]
		if c.slot == 0 {
			return -1
		}
		if c.hash == h && string(t.keys[c.slot-1]) == key {
			return int(c.slot - 1)
		}
	}
}

// insert stores key, which must be absent, with hash h in a new slot and
// returns the slot; the table must not be full.
func (t *keyTable) insert(key []byte, h uint32, count, err uint64) int {
	if t.n == len(t.keys) {
		t.grow()
	}
	s := t.n
	t.n++
	t.setKey(s, key, h)
	t.counts[s] = count
	t.errs[s] = err
	t.link(s)
	return s
}

// rekey replaces the key of slot s with key, which must be absent, keeping
// the slot's count and error.
func (t *keyTable) rekey(s int, key []byte, h uint32) {
	t.unlink(s)
	t.setKey(s, key, h)
	t.link(s)
}

// remove deletes slot s, moving the last slot into its place; it returns the
// slot number that moved (the old last slot), which equals s if none did.
func (t *keyTable) remove(s int) (moved int) {
	t.unlink(s)
	last := t.n - 1
	t.n--
	if s == last {
		return s
	}
	t.cells[t.cellOf(last)].slot = uint32(s) + 1
	t.keys[s], t.keys[last] = t.keys[last], t.keys[s] // swap, so both buffers survive
	t.hashes[s] = t.hashes[last]
	t.counts[s] = t.counts[last]
	t.errs[s] = t.errs[last]
	return last
}

// reset empties t and keeps every slot's key buffer.
func (t *keyTable) reset() {
	clear(t.cells)
	t.n = 0
}

func (t *keyTable) setKey(s int, key []byte, h uint32) {
	t.keys[s] = append(t.keys[s][:0], key...)
	t.hashes[s] = h
}

// link adds the index cell for slot s, whose key must be absent from the index.
func (t *keyTable) link(s int) {
	i := t.hashes[s] & t.mask
	for t.cells[i].slot != 0 {
		i = (i + 1) & t.mask
	}
	t.cells[i] = keyCell{hash: t.hashes[s], slot: uint32(s) + 1}
}

// cellOf returns the index position of the cell for slot s.
func (t *keyTable) cellOf(s int) uint32 {
	want := uint32(s) + 1
	i := t.hashes[s] & t.mask
	for t.cells[i].slot != want {
		i = (i + 1) & t.mask
	}
	return i
}

// unlink removes the index cell for slot s by backward shift: each later
// cell of the same run moves back into the hole unless the hole lies before
// its home position.
func (t *keyTable) unlink(s int) {
	hole := t.cellOf(s)
	for j := (hole + 1) & t.mask; t.cells[j].slot != 0; j = (j + 1) & t.mask {
		home := t.cells[j].hash & t.mask
		// The cell at j may fill the hole when its home is no later than the
		// hole on the way around to j: distance(home→j) ≥ distance(hole→j).
		if (j-home)&t.mask >= (j-hole)&t.mask {
			t.cells[hole] = t.cells[j]
			hole = j
		}
	}
	t.cells[hole] = keyCell{}
}

// each calls f for every slot in use, in slot order.
func (t *keyTable) each(f func(key []byte, count, err uint64)) {
	for s := range t.n {
		f(t.keys[s], t.counts[s], t.errs[s])
	}
}

// less reports whether slot a ranks before slot b: higher count first, then
// the smaller key.
func (t *keyTable) less(a, b int) bool {
	if t.counts[a] != t.counts[b] {
		return t.counts[a] > t.counts[b]
	}
	return bytes.Compare(t.keys[a], t.keys[b]) < 0
}

// top returns the n highest-ranked entries, highest first.
func (t *keyTable) top(n int) []Entry {
	n = min(n, t.n)
	if n <= 0 {
		return nil
	}
	order := make([]int, t.n)
	for s := range order {
		order[s] = s
	}
	slices.SortFunc(order, func(a, b int) int {
		switch {
		case t.less(a, b):
			return -1
		case t.less(b, a):
			return 1
		}
		return 0
	})
	out := make([]Entry, n)
	for i, s := range order[:n] {
		out[i] = t.entry(s)
	}
	return out
}

func (t *keyTable) entry(s int) Entry {
	return Entry{Key: string(t.keys[s]), Count: t.counts[s], Err: t.errs[s]}
}
