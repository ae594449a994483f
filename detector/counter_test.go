package detector

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// counterContents returns every entry of c, sorted by key.
func counterContents(c *Counter) []Entry {
	var out []Entry
	c.Each(func(key []byte, count, err uint64) {
		out = append(out, Entry{Key: string(key), Count: count, Err: err})
	})
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// checkKeyTable fails tb if t's index and slots disagree: every slot in use
// has exactly one cell, reachable from its home without crossing an empty
// cell, and no cell names a slot out of use.
func checkKeyTable(tb testing.TB, t *keyTable) {
	tb.Helper()
	seen := make([]int, t.n)
	for i, c := range t.cells {
		if c.slot == 0 {
			continue
		}
		s := int(c.slot - 1)
		if s >= t.n {
			tb.Fatalf("cell %d names slot %d, want < %d", i, s, t.n)
		}
		seen[s]++
		if c.hash != t.hashes[s] || t.hashes[s] != t.hash(t.keys[s]) {
			tb.Fatalf("cell %d (slot %d, key %q): stale hash", i, s, t.keys[s])
		}
		for j := c.hash & t.mask; j != uint32(i); j = (j + 1) & t.mask {
			if t.cells[j].slot == 0 {
				tb.Fatalf("cell %d (key %q, home %d): empty cell %d on its probe path", i, t.keys[s], c.hash&t.mask, j)
			}
		}
	}
	for s, n := range seen {
		if n != 1 {
			tb.Fatalf("slot %d (key %q) has %d cells, want 1", s, t.keys[s], n)
		}
	}
}

func TestNewCounter(t *testing.T) {
	for _, capacity := range []int{1, 2, 3, 100, 256} {
		c := NewCounter(capacity)
		if got := c.Cap(); got != capacity {
			t.Errorf("NewCounter(%d).Cap() = %d", capacity, got)
		}
		if len(c.t.cells) != 0 || len(c.t.keys) != 0 {
			t.Errorf("NewCounter(%d) allocated %d cells and %d slots before its first key", capacity, len(c.t.cells), len(c.t.keys))
		}
		// Filled to its capacity, the index grows to a power of two of at
		// least twice the slots, and the table stays consistent on the way.
		for i := range capacity {
			if _, ok := c.Add([]byte(strconv.Itoa(i)), 1, 0); !ok {
				t.Fatalf("NewCounter(%d).Add(key %d) refused", capacity, i)
			}
			checkKeyTable(t, &c.t)
		}
		if size := len(c.t.cells); size < 2*capacity || size&(size-1) != 0 {
			t.Errorf("NewCounter(%d) full: index size %d, want a power of two ≥ %d", capacity, size, 2*capacity)
		}
		if _, ok := c.Add([]byte("one too many"), 1, 0); ok {
			t.Errorf("NewCounter(%d) took a key past its capacity", capacity)
		}
	}
	for _, capacity := range []int{0, -1, maxKeyTableCapacity + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewCounter(%d) did not panic", capacity)
				}
			}()
			NewCounter(capacity)
		}()
	}
}

// counterOp is one call in a scripted test: Add when sub is false.
type counterOp struct {
	sub        bool
	key        string
	count, err uint64
}

func TestCounter_Add(t *testing.T) {
	tests := []struct {
		name      string
		capacity  int
		setup     []counterOp
		key       string
		count     uint64
		err       uint64
		wantCount uint64
		wantOK    bool
		want      []Entry
	}{
		{
			name:     "new key",
			capacity: 2,
			key:      "a", count: 3, err: 1,
			wantCount: 3, wantOK: true,
			want: []Entry{{"a", 3, 1}},
		},
		{
			name:     "present key",
			capacity: 2,
			setup:    []counterOp{{key: "a", count: 3, err: 1}},
			key:      "a", count: 2, err: 5,
			wantCount: 5, wantOK: true,
			want: []Entry{{"a", 5, 6}},
		},
		{
			name:     "full table rejects absent key",
			capacity: 2,
			setup:    []counterOp{{key: "a", count: 1}, {key: "b", count: 2}},
			key:      "c", count: 9,
			wantCount: 0, wantOK: false,
			want: []Entry{{"a", 1, 0}, {"b", 2, 0}},
		},
		{
			name:     "full table accepts present key",
			capacity: 2,
			setup:    []counterOp{{key: "a", count: 1}, {key: "b", count: 2}},
			key:      "b", count: 9,
			wantCount: 11, wantOK: true,
			want: []Entry{{"a", 1, 0}, {"b", 11, 0}},
		},
		{
			name:     "room again after removal",
			capacity: 2,
			setup:    []counterOp{{key: "a", count: 1}, {key: "b", count: 2}, {sub: true, key: "a", count: 1}},
			key:      "c", count: 4,
			wantCount: 4, wantOK: true,
			want: []Entry{{"b", 2, 0}, {"c", 4, 0}},
		},
		{
			name:     "zero count stores nothing",
			capacity: 2,
			key:      "a", count: 0, err: 7,
			wantCount: 0, wantOK: true,
		},
		{
			name:     "zero count stores nothing when full",
			capacity: 1,
			setup:    []counterOp{{key: "a", count: 1}},
			key:      "b", count: 0,
			wantCount: 0, wantOK: true,
			want: []Entry{{"a", 1, 0}},
		},
		{
			name:     "empty key",
			capacity: 2,
			setup:    []counterOp{{key: "", count: 1}},
			key:      "", count: 1,
			wantCount: 2, wantOK: true,
			want: []Entry{{"", 2, 0}},
		},
		{
			name:     "saturates",
			capacity: 1,
			setup:    []counterOp{{key: "a", count: math.MaxUint64 - 1, err: math.MaxUint64}},
			key:      "a", count: 5, err: 5,
			wantCount: math.MaxUint64, wantOK: true,
			want: []Entry{{"a", math.MaxUint64, math.MaxUint64}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewCounter(tt.capacity)
			runCounterOps(t, c, tt.setup)
			gotCount, gotOK := c.Add([]byte(tt.key), tt.count, tt.err)
			if gotCount != tt.wantCount || gotOK != tt.wantOK {
				t.Errorf("Add(%q, %d, %d) = %d, %t, want %d, %t", tt.key, tt.count, tt.err, gotCount, gotOK, tt.wantCount, tt.wantOK)
			}
			if diff := cmp.Diff(tt.want, counterContents(c)); diff != "" {
				t.Errorf("contents after Add (-want +got):\n%s", diff)
			}
			if got, want := c.Len(), len(tt.want); got != want {
				t.Errorf("Len() = %d, want %d", got, want)
			}
			checkKeyTable(t, &c.t)
		})
	}
}

func runCounterOps(tb testing.TB, c *Counter, ops []counterOp) {
	tb.Helper()
	for _, op := range ops {
		if op.sub {
			c.Sub([]byte(op.key), op.count, op.err)
		} else if _, ok := c.Add([]byte(op.key), op.count, op.err); !ok {
			tb.Fatalf("setup: Add(%q) rejected", op.key)
		}
	}
}

func TestCounter_Add_doesNotKeepKey(t *testing.T) {
	c := NewCounter(4)
	key := []byte("abc")
	c.Add(key, 1, 0)
	copy(key, "xyz")
	if _, _, ok := c.Get([]byte("abc")); !ok {
		t.Errorf("Get(abc) after the caller reused its buffer: not found")
	}
}

func TestCounter_Sub(t *testing.T) {
	tests := []struct {
		name  string
		setup []counterOp
		key   string
		count uint64
		err   uint64
		want  []Entry
	}{
		{
			name:  "partial",
			setup: []counterOp{{key: "a", count: 5, err: 3}},
			key:   "a", count: 2, err: 1,
			want: []Entry{{"a", 3, 2}},
		},
		{
			name:  "to zero removes",
			setup: []counterOp{{key: "a", count: 5, err: 3}, {key: "b", count: 1}},
			key:   "a", count: 5,
			want: []Entry{{"b", 1, 0}},
		},
		{
			name:  "below zero saturates and removes",
			setup: []counterOp{{key: "a", count: 5}},
			key:   "a", count: 50, err: 50,
		},
		{
			name:  "err saturates at zero",
			setup: []counterOp{{key: "a", count: 5, err: 1}},
			key:   "a", count: 1, err: 9,
			want: []Entry{{"a", 4, 0}},
		},
		{
			name:  "absent key",
			setup: []counterOp{{key: "a", count: 5}},
			key:   "b", count: 1,
			want: []Entry{{"a", 5, 0}},
		},
		{
			name:  "zero count keeps entry",
			setup: []counterOp{{key: "a", count: 5, err: 2}},
			key:   "a", count: 0, err: 1,
			want: []Entry{{"a", 5, 1}},
		},
		{
			name:  "last slot moves into the hole",
			setup: []counterOp{{key: "a", count: 1}, {key: "b", count: 2}, {key: "c", count: 3}},
			key:   "a", count: 1,
			want: []Entry{{"b", 2, 0}, {"c", 3, 0}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewCounter(4)
			runCounterOps(t, c, tt.setup)
			c.Sub([]byte(tt.key), tt.count, tt.err)
			if diff := cmp.Diff(tt.want, counterContents(c)); diff != "" {
				t.Errorf("contents after Sub(%q, %d, %d) (-want +got):\n%s", tt.key, tt.count, tt.err, diff)
			}
			checkKeyTable(t, &c.t)
			for _, e := range tt.want {
				count, err, ok := c.Get([]byte(e.Key))
				if !ok || count != e.Count || err != e.Err {
					t.Errorf("Get(%q) = %d, %d, %t, want %d, %d, true", e.Key, count, err, ok, e.Count, e.Err)
				}
			}
		})
	}
}

// keyWithHome returns a key, not in used, whose home position in t's index
// is home, found by trying "k0", "k1", … against t's seed.
func keyWithHome(tb testing.TB, t *keyTable, home uint32, used map[string]bool) []byte {
	tb.Helper()
	for i := range 1_000_000 {
		key := fmt.Appendf(nil, "k%d", i)
		if !used[string(key)] && t.hash(key)&t.mask == home {
			return key
		}
	}
	tb.Fatalf("no key found for home %d", home)
	return nil
}

// TestCounter_Sub_backwardShift deletes from probe runs that wrap around the
// end of the index, checking after every step that every key is still
// reachable and no cell is orphaned.
func TestCounter_Sub_backwardShift(t *testing.T) {
	tests := []struct {
		name   string
		homes  []uint32 // index positions counted from the last cell: 0 is the last, 1 the first
		remove []int    // indexes into homes, in order
	}{
		// Three keys share the last cell as home: the run wraps to cells 0 and 1.
		{name: "wraparound, remove first", homes: []uint32{0, 0, 0}, remove: []int{0, 1, 2}},
		{name: "wraparound, remove middle", homes: []uint32{0, 0, 0}, remove: []int{1, 0, 2}},
		{name: "wraparound, remove last", homes: []uint32{0, 0, 0}, remove: []int{2, 1, 0}},
		// Keys at home in cells 0 and 1 sit inside a run that starts at the
		// last cell: removing its head must not move them back past their
		// home, but must move the later key whose home is the last cell.
		{name: "wraparound, own home kept", homes: []uint32{0, 1, 1, 0}, remove: []int{0, 2, 1, 3}},
		{name: "wraparound, chain shifts back", homes: []uint32{0, 0, 0, 1, 2}, remove: []int{0, 3, 1, 4, 2}},
		{name: "mixed homes", homes: []uint32{1, 0, 1, 2, 0, 3}, remove: []int{0, 3, 1, 5, 2, 4}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewCounter(8) // 16 cells
			keys := make([][]byte, len(tt.homes))
			used := map[string]bool{}
			for i, h := range tt.homes {
				keys[i] = keyWithHome(t, &c.t, (c.t.mask+h)&c.t.mask, used)
				used[string(keys[i])] = true
			}
			for i, k := range keys {
				if _, ok := c.Add(k, uint64(i+1), 0); !ok {
					t.Fatalf("Add(%q) rejected", k)
				}
				checkKeyTable(t, &c.t)
			}
			present := map[int]bool{}
			for i := range keys {
				present[i] = true
			}
			for _, r := range tt.remove {
				c.Sub(keys[r], math.MaxUint64, 0)
				delete(present, r)
				checkKeyTable(t, &c.t)
				for i, k := range keys {
					count, _, ok := c.Get(k)
					if ok != present[i] || ok && count != uint64(i+1) {
						t.Fatalf("after removing key %d: Get(%q) = %d, %t, want %d, %t", r, k, count, ok, i+1, present[i])
					}
				}
			}
			if c.Len() != 0 {
				t.Errorf("Len() = %d after removing every key, want 0", c.Len())
			}
		})
	}
}

func TestCounter_Get(t *testing.T) {
	c := NewCounter(4)
	c.Add([]byte("a"), 2, 1)
	c.Add([]byte("b"), 3, 0)
	tests := []struct {
		key              string
		wantCount, wantE uint64
		wantOK           bool
	}{
		{"a", 2, 1, true},
		{"b", 3, 0, true},
		{"c", 0, 0, false},
		{"", 0, 0, false},
		{"ab", 0, 0, false},
	}
	for _, tt := range tests {
		count, err, ok := c.Get([]byte(tt.key))
		if count != tt.wantCount || err != tt.wantE || ok != tt.wantOK {
			t.Errorf("Get(%q) = %d, %d, %t, want %d, %d, %t", tt.key, count, err, ok, tt.wantCount, tt.wantE, tt.wantOK)
		}
	}
}

// TestCounter_Model runs random Add, Sub and Get calls against a map model,
// on small tables so that the index wraps around, probe runs collide, and
// the table is often full; ranked (a heap) and unranked.
func TestCounter_Model(t *testing.T) {
	for _, tc := range []struct {
		capacity int
		unranked bool
	}{{1, false}, {2, false}, {5, false}, {8, false}, {33, false}, {1, true}, {5, true}, {33, true}} {
		capacity := tc.capacity
		t.Run(fmt.Sprint("capacity=", capacity, ",unranked=", tc.unranked), func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(1, uint64(capacity)))
			c := NewCounter(capacity)
			if tc.unranked {
				c = newUnrankedCounter(capacity)
			}
			type value struct{ count, err uint64 }
			model := map[string]value{}
			keys := 3 * capacity
			for step := range 20_000 {
				key := fmt.Appendf(nil, "key%d", r.IntN(keys))
				switch op := r.IntN(10); {
				case op < 5:
					count, err := uint64(r.IntN(4)), uint64(r.IntN(3))
					got, ok := c.Add(key, count, err)
					v, present := model[string(key)]
					wantOK := present || count == 0 || len(model) < capacity
					var want uint64
					switch {
					case present:
						v.count += count
						v.err += err
						model[string(key)] = v
						want = v.count
					case count > 0 && wantOK:
						model[string(key)] = value{count, err}
						want = count
					}
					if got != want || ok != wantOK {
						t.Fatalf("step %d: Add(%q, %d, %d) = %d, %t, want %d, %t", step, key, count, err, got, ok, want, wantOK)
					}
				case op < 8:
					count, err := uint64(r.IntN(4)), uint64(r.IntN(3))
					c.Sub(key, count, err)
					if v, ok := model[string(key)]; ok {
						v.count = subSat(v.count, count)
						v.err = subSat(v.err, err)
						model[string(key)] = v
						if v.count == 0 {
							delete(model, string(key))
						}
					}
				case op < 9:
					count, err, ok := c.Get(key)
					v, present := model[string(key)]
					if count != v.count || err != v.err || ok != present {
						t.Fatalf("step %d: Get(%q) = %d, %d, %t, want %d, %d, %t", step, key, count, err, ok, v.count, v.err, present)
					}
				default:
					if r.IntN(100) == 0 {
						c.Reset()
						clear(model)
					}
				}
				if c.Len() != len(model) {
					t.Fatalf("step %d: Len() = %d, want %d", step, c.Len(), len(model))
				}
				var busiest uint64
				for _, v := range model {
					busiest = max(busiest, v.count-min(v.err, v.count))
				}
				if got := c.Busiest(); got != busiest {
					t.Fatalf("step %d: Busiest() = %d, want %d", step, got, busiest)
				}
				least := uint64(r.IntN(8))
				seen := map[string]uint64{}
				c.EachAtLeast(least, func(key []byte, g uint64) { seen[string(key)] = g })
				for k, v := range model {
					g := v.count - min(v.err, v.count)
					if got, ok := seen[k]; (g >= least) != ok || ok && got != g {
						t.Fatalf("step %d: EachAtLeast(%d) gave %q: %d, %t; want %d", step, least, k, got, ok, g)
					}
				}
				checkKeyTable(t, &c.t)
				if tc.unranked {
					if len(c.heap) != 0 {
						t.Fatalf("step %d: an unranked Counter keeps a heap of %d", step, len(c.heap))
					}
				} else {
					checkCounterHeap(t, c)
				}
			}
			var want []Entry
			for k, v := range model {
				want = append(want, Entry{k, v.count, v.err})
			}
			slices.SortFunc(want, func(a, b Entry) int { return strings.Compare(a.Key, b.Key) })
			if diff := cmp.Diff(want, counterContents(c)); diff != "" {
				t.Errorf("final contents (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCounter_Top(t *testing.T) {
	c := NewCounter(8)
	for _, op := range []counterOp{
		{key: "d", count: 2}, {key: "b", count: 5, err: 1}, {key: "c", count: 2},
		{key: "a", count: 2}, {key: "e", count: 7}, {key: "f", count: 1},
	} {
		c.Add([]byte(op.key), op.count, op.err)
	}
	all := []Entry{{"e", 7, 0}, {"b", 5, 1}, {"a", 2, 0}, {"c", 2, 0}, {"d", 2, 0}, {"f", 1, 0}}
	tests := []struct {
		n    int
		want []Entry
	}{
		{-1, nil},
		{0, nil},
		{1, all[:1]},
		{3, all[:3]}, // ties at 2 broken by key
		{4, all[:4]},
		{6, all},
		{100, all},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, c.Top(tt.n)); diff != "" {
			t.Errorf("Top(%d) (-want +got):\n%s", tt.n, diff)
		}
	}
	if got := NewCounter(4).Top(3); got != nil {
		t.Errorf("empty Counter: Top(3) = %v, want nil", got)
	}
}

func TestCounter_Max(t *testing.T) {
	tests := []struct {
		name   string
		ops    []counterOp
		want   Entry
		wantOK bool
	}{
		{name: "empty"},
		{name: "one", ops: []counterOp{{key: "a", count: 1, err: 1}}, want: Entry{"a", 1, 1}, wantOK: true},
		{
			name:   "highest",
			ops:    []counterOp{{key: "a", count: 1}, {key: "b", count: 9}, {key: "c", count: 3}},
			want:   Entry{"b", 9, 0},
			wantOK: true,
		},
		{
			name:   "tie takes smallest key",
			ops:    []counterOp{{key: "c", count: 4}, {key: "bb", count: 4}, {key: "b", count: 4}, {key: "a", count: 1}},
			want:   Entry{"b", 4, 0},
			wantOK: true,
		},
		{
			name:   "after removal",
			ops:    []counterOp{{key: "a", count: 4}, {key: "b", count: 3}, {sub: true, key: "a", count: 4}},
			want:   Entry{"b", 3, 0},
			wantOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewCounter(4)
			runCounterOps(t, c, tt.ops)
			got, ok := c.Max()
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Max() = %+v, %t, want %+v, %t", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestCounter_Reset(t *testing.T) {
	c := NewCounter(2)
	c.Add([]byte("a"), 1, 0)
	c.Add([]byte("b"), 1, 0)
	c.Reset()
	if c.Len() != 0 {
		t.Errorf("Len() after Reset = %d, want 0", c.Len())
	}
	if _, _, ok := c.Get([]byte("a")); ok {
		t.Errorf("Get(a) after Reset: found")
	}
	for _, k := range []string{"c", "d"} {
		if _, ok := c.Add([]byte(k), 2, 0); !ok {
			t.Errorf("Add(%q) after Reset rejected", k)
		}
	}
	want := []Entry{{"c", 2, 0}, {"d", 2, 0}}
	if diff := cmp.Diff(want, counterContents(c)); diff != "" {
		t.Errorf("contents (-want +got):\n%s", diff)
	}
	checkKeyTable(t, &c.t)
}

// TestCounter_allocs checks that a warm Counter does not allocate.
func TestCounter_allocs(t *testing.T) {
	const capacity = 64
	keys := make([][]byte, 2*capacity)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "10.0.%d.%d:GET", i/256, i%256)
	}
	present, absent := keys[:capacity], keys[capacity:]
	c := NewCounter(capacity)
	warm := func() {
		c.Reset()
		for _, k := range present {
			c.Add(k, 1, 0)
		}
	}
	warm()
	i := 0
	next := func(ks [][]byte) []byte { i++; return ks[i%len(ks)] }
	tests := []struct {
		name string
		f    func()
	}{
		{"Add present", func() { c.Add(next(present), 1, 0) }},
		{"Add absent full", func() { c.Add(next(absent), 1, 0) }},
		{"Get present", func() { c.Get(next(present)) }},
		{"Get absent", func() { c.Get(next(absent)) }},
		{"Sub absent", func() { c.Sub(next(absent), 1, 0) }},
		{"Sub present", func() { c.Sub(next(present), 1, 0) }},
		{"Sub remove and Add insert", func() {
			k := next(present)
			c.Sub(k, math.MaxUint64, 0)
			c.Add(k, 1, 0)
		}},
		{"Reset and refill", warm},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(100, tt.f); got != 0 {
			t.Errorf("%s: %v allocs per run, want 0", tt.name, got)
		}
	}
	if c.Len() != capacity {
		t.Errorf("Len() = %d, want %d", c.Len(), capacity)
	}
	// Keys longer than any seen before grow a slot's buffer once; after that
	// the slot is warm again.
	long := bytes.Repeat([]byte("x"), 100)
	c.Sub(present[0], math.MaxUint64, 0)
	c.Add(long, 1, 0)
	c.Sub(long, math.MaxUint64, 0)
	if got := testing.AllocsPerRun(100, func() {
		c.Add(long, 1, 0)
		c.Sub(long, math.MaxUint64, 0)
	}); got != 0 {
		t.Errorf("long key after warm-up: %v allocs per run, want 0", got)
	}
}

func ExampleCounter() {
	c := NewCounter(1000) // at most 1000 clients tracked
	for _, ip := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.3", "10.0.0.1"} {
		c.Add([]byte(ip), 1, 0)
	}
	c.Sub([]byte("10.0.0.3"), 1, 0) // the request left the window
	for _, e := range c.Top(2) {
		fmt.Println(e.Key, e.Count)
	}
	fmt.Println(c.Len(), "clients")
	// Output:
	// 10.0.0.1 3
	// 10.0.0.2 1
	// 2 clients
}

// benchKeys returns n distinct 16-byte keys, laid out like "10.001.002.003:G".
func benchKeys(n int) [][]byte {
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "10.%03d.%03d.%03d:G", i>>16&255, i>>8&255, i&255)
	}
	return keys
}

func BenchmarkCounter_Add(b *testing.B) {
	const capacity = 4096
	keys := benchKeys(capacity)
	c := NewCounter(capacity)
	for _, k := range keys {
		c.Add(k, 1, 0)
	}
	b.ReportAllocs()
	b.SetBytes(int64(len(keys[0])))
	n := 0
	for b.Loop() {
		c.Add(keys[n&(capacity-1)], 1, 0)
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "ops/s")
}

// checkCounterHeap checks that the heap holds every slot once, with its
// index, in max-heap order of guaranteed counts.
func checkCounterHeap(tb testing.TB, c *Counter) {
	tb.Helper()
	if len(c.heap) != c.t.n {
		tb.Fatalf("heap holds %d slots, table %d", len(c.heap), c.t.n)
	}
	for i, e := range c.heap {
		s := int(e.slot)
		if s >= c.t.n || int(c.at[s]) != i {
			tb.Fatalf("heap[%d] = slot %d, at[%d] = %d", i, s, s, c.at[s])
		}
		if e.g != c.guaranteed(s) {
			tb.Fatalf("heap[%d] keeps %d for slot %d, whose guaranteed count is %d", i, e.g, s, c.guaranteed(s))
		}
		if i > 0 && c.heap[(i-1)/2].g < e.g {
			tb.Fatalf("heap[%d] above its parent", i)
		}
	}
}
