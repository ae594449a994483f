package slidinghll

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// The encoding, version 1. Integers are minimal varints (encoding/binary's
// Uvarint, and Varint for newest); an age is newest minus a step, so that
// it fits in a byte or two whatever the steps.
//
//	version   byte: 1
//	span      uvarint, 1 to MaxSpan
//	newest    byte 0 when nothing set it (then the form is 0), or byte 1 and varint newest
//	form      byte: 0 empty, 1 sparse, 2 dense
//	sparse    keys, 1 to 6144 of them
//	dense     registers; then byte 0, or byte 1 (recording), uvarint age
//	          of the step after which it records, and keys, 0 to 3072 of them
//	keys      uvarint count; per key, in increasing order: uvarint key
//	          (the first) or increase (the others, at least 1), uvarint age
//	          of the key's newest step
//	registers uvarint count, 1 to 16384; per non-empty register, in
//	          increasing order: uvarint register or increase, uvarint pairs
//	          (1 to 51), then per pair, oldest first: uvarint age (the
//	          first) or decrease (the others, at least 1), byte rank (1 to
//	          51, decreasing)
//
// The encoding is canonical: a window has one, and UnmarshalBinary accepts
// nothing else (no trailing bytes, no padded varint, no unordered or
// dominated entry).
const encodingVersion = 1

const (
	formEmpty = iota
	formSparse
	formDense
)

// ErrVersion is returned, wrapped, by [Window.UnmarshalBinary] for an
// encoding of a version it does not know.
var ErrVersion = errors.New("unknown window encoding version")

// ErrInvalid is returned, wrapped, by [Window.UnmarshalBinary] for bytes
// that are not a window's encoding, and by [Window.AppendBinary] for the
// zero Window.
var ErrInvalid = errors.New("invalid window encoding")

// MarshalBinary returns the window's encoding: see [Window.AppendBinary].
func (w *Window) MarshalBinary() ([]byte, error) { return w.AppendBinary(nil) }

// AppendBinary appends the window's encoding to b: a compact, versioned
// and canonical record of its span, newest step and state (sparse keys or
// register lists, with their steps), from which [Window.UnmarshalBinary]
// restores a window that estimates, and goes on, exactly as this one. It
// costs O(state): at most about 4 bytes a sparse key or a pair.
func (w *Window) AppendBinary(b []byte) ([]byte, error) {
	if w.span < 1 {
		return b, fmt.Errorf("encode window: zero Window: %w", ErrInvalid)
	}
	b = append(b, encodingVersion)
	b = binary.AppendUvarint(b, uint64(w.span))
	if !w.started {
		return append(b, 0, formEmpty), nil
	}
	b = append(b, 1)
	b = binary.AppendVarint(b, w.newest)
	switch {
	case w.dn != nil:
		b = append(b, formDense)
		b = w.appendRegisters(b)
		if w.sp == nil {
			return append(b, 0), nil
		}
		b = append(b, 1)
		b = binary.AppendUvarint(b, uint64(w.newest-w.recAfter))
		return w.appendKeys(b, w.sp), nil
	case w.sp != nil:
		b = append(b, formSparse)
		return w.appendKeys(b, w.sp), nil
	}
	return append(b, formEmpty), nil
}

func (w *Window) appendKeys(b []byte, sp *sparse) []byte {
	keys := make([]uint64, 0, sp.len())
	sp.keys.each(func(k, v uint32) { keys = append(keys, uint64(k)<<32|uint64(v)) })
	slices.Sort(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	prev := uint32(0)
	for _, kv := range keys {
		k := uint32(kv >> 32)
		b = binary.AppendUvarint(b, uint64(k-prev))
		b = binary.AppendUvarint(b, uint64(w.newest-step32(w.newest, uint32(kv))))
		prev = k
	}
	return b
}

func (w *Window) appendRegisters(b []byte) []byte {
	d := w.dn
	b = binary.AppendUvarint(b, uint64(d.nonzero()))
	prev := uint32(0)
	for j := range uint32(m) {
		es := d.list(j)
		if len(es) == 0 {
			continue
		}
		b = binary.AppendUvarint(b, uint64(j-prev))
		b = binary.AppendUvarint(b, uint64(len(es)))
		prevAge := int64(0)
		for i, e := range es {
			age := w.newest - stepOf(w.newest, e)
			if i == 0 {
				b = binary.AppendUvarint(b, uint64(age))
			} else {
				b = binary.AppendUvarint(b, uint64(prevAge-age))
			}
			b = append(b, rankOf(e))
			prevAge = age
		}
		prev = j
	}
	return b
}

// UnmarshalBinary restores a window from the encoding [Window.AppendBinary]
// made, span included: a caller that restores a snapshot into a window of
// a configured length compares [Window.Span] with it. Bytes that are not
// such an encoding return an error wrapping [ErrInvalid] (or [ErrVersion])
// and leave w unchanged. Decoding allocates in proportion to len(data),
// plus the fixed 80 KiB of the dense registers; it never panics.
func (w *Window) UnmarshalBinary(data []byte) error {
	dec := decoder{b: data}
	nw := dec.window()
	if dec.err != nil {
		return dec.err
	}
	*w = *nw
	return nil
}

// decoder reads an encoding, keeping the first error.
type decoder struct {
	b   []byte
	off int
	err error
}

func (dec *decoder) fail(format string, args ...any) {
	if dec.err == nil {
		dec.err = fmt.Errorf("decode window: byte %d: %s: %w", dec.off, fmt.Sprintf(format, args...), ErrInvalid)
	}
}

func (dec *decoder) left() int { return len(dec.b) - dec.off }

func (dec *decoder) byte(what string) byte {
	if dec.err != nil {
		return 0
	}
	if dec.left() < 1 {
		dec.fail("%s: truncated", what)
		return 0
	}
	c := dec.b[dec.off]
	dec.off++
	return c
}

// uvarint reads a minimal uvarint of at most hi.
func (dec *decoder) uvarint(what string, hi uint64) uint64 {
	if dec.err != nil {
		return 0
	}
	x, n := binary.Uvarint(dec.b[dec.off:])
	switch {
	case n == 0:
		dec.fail("%s: truncated", what)
	case n < 0:
		dec.fail("%s: varint overflows 64 bits", what)
	case n > 1 && dec.b[dec.off+n-1] == 0:
		dec.fail("%s: varint not minimal", what)
	case x > hi:
		dec.fail("%s: %d, over %d", what, x, hi)
	}
	if dec.err != nil {
		return 0
	}
	dec.off += n
	return x
}

func (dec *decoder) varint(what string) int64 {
	u := dec.uvarint(what, ^uint64(0))
	x := int64(u >> 1)
	if u&1 != 0 {
		x = ^x
	}
	return x
}

func (dec *decoder) window() *Window {
	switch v := dec.byte("version"); {
	case dec.err != nil:
		return nil
	case v != encodingVersion:
		dec.err = fmt.Errorf("decode window: version %d: %w", v, ErrVersion)
		return nil
	}
	w := &Window{span: int64(dec.uvarint("span", MaxSpan))}
	if dec.err == nil && w.span < 1 {
		dec.fail("span 0")
	}
	switch dec.byte("newest") {
	case 0:
	case 1:
		w.started, w.newest = true, dec.varint("newest")
	default:
		dec.fail("newest: flag not 0 or 1")
	}
	switch form := dec.byte("form"); {
	case dec.err != nil:
	case form != formEmpty && !w.started:
		dec.fail("values without a newest step")
	case form == formEmpty:
	case form == formSparse:
		w.sp = dec.keys(w, 1, sparseMax, w.maxAge())
	case form == formDense:
		w.dn = dec.registers(w)
		switch dec.byte("recording") {
		case 0:
		case 1:
			age := dec.uvarint("recording after", uint64(w.maxAge()))
			w.recAfter = w.newest - int64(age)
			w.sp = dec.keys(w, 0, sparseMax/2, int64(age)-1)
			dec.checkRecorded(w)
		default:
			dec.fail("recording: flag not 0 or 1")
		}
	default:
		dec.fail("form %d", form)
	}
	if dec.err == nil && dec.left() > 0 {
		dec.fail("%d trailing bytes", dec.left())
	}
	return w
}

// maxAge returns the age of the window's oldest step: span-1, or less when
// the window starts at the oldest int64.
func (w *Window) maxAge() int64 { return w.newest - w.start() }

// keys reads lo to hi sparse keys whose ages are at most maxAge.
func (dec *decoder) keys(w *Window, lo, hi int, maxAge int64) *sparse {
	n := int(dec.uvarint("keys", uint64(hi)))
	if dec.err == nil && (n < lo || n > dec.left()/2) { // a key takes 2 bytes or more
		dec.fail("%d keys", n)
	}
	if dec.err != nil || maxAge < 0 && n > 0 {
		dec.fail("keys: none can be in the window")
		return nil
	}
	sp := newSparse()
	visits := make([]lateVisit[uint32], 0, n)
	k := uint64(0)
	for i := range n {
		d := dec.uvarint("key", 1<<32-1)
		if dec.err == nil && i > 0 && d == 0 {
			dec.fail("key %d: not after key %d", i, i-1)
		}
		if k += d; dec.err == nil && k > 1<<32-1 {
			dec.fail("key %d: over 32 bits", i)
		}
		age := int64(dec.uvarint("key age", uint64(maxAge)))
		if dec.err != nil {
			return nil
		}
		if _, ok := keyHash(uint32(k)); !ok {
			dec.fail("key %d: %#x is not a sparse key", i, k)
			return nil
		}
		step := w.newest - age
		sp.keys.put(uint32(k), uint32(step), nil)
		visits = append(visits, lateVisit[uint32]{step, uint32(k)})
	}
	slices.SortFunc(visits, func(a, b lateVisit[uint32]) int { return cmp.Compare(a.step, b.step) })
	for _, v := range visits {
		sp.q.push(v.step, v.item)
	}
	return sp
}

// registers reads the dense registers' lists.
func (dec *decoder) registers(w *Window) *dense {
	n := int(dec.uvarint("registers", m))
	if dec.err == nil && (n < 1 || n > dec.left()/4) { // a register takes 4 bytes or more
		dec.fail("%d registers", n)
	}
	if dec.err != nil {
		return nil
	}
	d := newDense()
	var visits []lateVisit[uint16]
	j := uint64(0)
	for i := range n {
		dj := dec.uvarint("register", m-1)
		if dec.err == nil && i > 0 && dj == 0 {
			dec.fail("register %d: not after register %d", i, i-1)
		}
		if j += dj; dec.err == nil && j >= m {
			dec.fail("register %d: %d, over %d", i, j, m-1)
		}
		pairs := int(dec.uvarint("pairs", maxRank))
		if dec.err == nil && (pairs < 1 || pairs > dec.left()/2) {
			dec.fail("register %d: %d pairs", j, pairs)
		}
		age, rank := uint64(0), uint8(maxRank+1)
		for p := range pairs {
			if p == 0 {
				age = dec.uvarint("age", uint64(w.maxAge()))
			} else if down := dec.uvarint("age decrease", age); dec.err == nil && down == 0 {
				dec.fail("register %d pair %d: not after pair %d", j, p, p-1)
			} else {
				age -= down
			}
			r := dec.byte("rank")
			switch {
			case dec.err != nil:
			case r < 1 || r > maxRank:
				dec.fail("register %d pair %d: rank %d", j, p, r)
			case r >= rank:
				dec.fail("register %d pair %d: rank %d not under rank %d", j, p, r, rank)
			}
			if dec.err != nil {
				return nil
			}
			rank = r
			step := w.newest - int64(age)
			d.place(uint32(j), step, w.newest, r)
			visits = append(visits, lateVisit[uint16]{step, uint16(j)})
		}
	}
	slices.SortFunc(visits, func(a, b lateVisit[uint16]) int { return cmp.Compare(a.step, b.step) })
	for _, v := range visits {
		d.q.push(v.step, v.item)
	}
	return d
}

// checkRecorded fails unless every recorded key is in the dense
// registers: its register holds a pair at or after the key's step with a
// rank as high.
func (dec *decoder) checkRecorded(w *Window) {
	if dec.err != nil {
		return
	}
	w.sp.keys.each(func(k, v uint32) {
		if !w.dn.covers(k, step32(w.newest, v), w.newest) {
			dec.fail("recorded key %#x not in the registers", k)
		}
	})
}
