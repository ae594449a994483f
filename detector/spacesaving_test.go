package detector

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// spaceSavingContents returns every entry of s, sorted by key.
func spaceSavingContents(s *SpaceSaving) []Entry {
	var out []Entry
	s.Each(func(key []byte, count, err uint64) {
		out = append(out, Entry{Key: string(key), Count: count, Err: err})
	})
	slices.SortFunc(out, func(a, b Entry) int { return strings.Compare(a.Key, b.Key) })
	return out
}

// checkSpaceSavingOrder fails tb unless s's order holds every slot once,
// sorted by count, highest first, in maximal runs of equal counts that match
// s.groups, and every group is either in use or free.
func checkSpaceSavingOrder(tb testing.TB, s *SpaceSaving) {
	tb.Helper()
	if !s.settled {
		s.settle()
	}
	checkKeyTable(tb, &s.t)
	counts := s.t.counts
	inUse := map[int]bool{}
	for p, slot := range s.order[:s.t.n] {
		if s.pos[slot] != p {
			tb.Fatalf("pos[%d] = %d, want %d", slot, s.pos[slot], p)
		}
		g := s.group[slot]
		inUse[g] = true
		start, end := s.groups[g].start, s.groups[g].end
		if p < start || p > end || end >= s.t.n {
			tb.Fatalf("slot %d at %d: group %d is [%d, %d], n = %d", slot, p, g, start, end, s.t.n)
		}
		if counts[s.order[start]] != counts[slot] {
			tb.Fatalf("slot %d at %d: count %d, group starts with count %d", slot, p, counts[slot], counts[s.order[start]])
		}
		if p > 0 {
			prev := s.order[p-1]
			if counts[prev] < counts[slot] {
				tb.Fatalf("order[%d] has count %d, below order[%d]'s %d", p-1, counts[prev], p, counts[slot])
			}
			if (counts[prev] == counts[slot]) != (s.group[prev] == g) {
				tb.Fatalf("positions %d and %d: counts %d and %d, groups %d and %d", p-1, p, counts[prev], counts[slot], s.group[prev], g)
			}
		}
	}
	if len(inUse)+len(s.free) != len(s.groups) {
		tb.Fatalf("%d groups in use + %d free, want %d", len(inUse), len(s.free), len(s.groups))
	}
	for _, g := range s.free {
		if inUse[g] {
			tb.Fatalf("group %d is in use and free", g)
		}
	}
}

// checkSpaceSavingBounds fails tb unless s, after the stream whose exact
// counts are exact and whose length is total, keeps the Space-Saving
// guarantees: counts sum to total, every monitored key's true count lies in
// [Count-Err, Count], and every key with a true count above total/capacity
// is monitored.
func checkSpaceSavingBounds(tb testing.TB, s *SpaceSaving, capacity int, exact map[string]uint64, total uint64) {
	tb.Helper()
	var sum uint64
	monitored := map[string]bool{}
	s.Each(func(key []byte, count, err uint64) {
		sum += count
		monitored[string(key)] = true
		if truth := exact[string(key)]; count < 1 || err > count || count-err > truth || truth > count {
			tb.Errorf("key %q: count %d, err %d, true count %d outside [count-err, count]", key, count, err, truth)
		}
	})
	if sum != total {
		tb.Errorf("sum of counts = %d, want %d", sum, total)
	}
	if s.Len() > capacity || s.Len() != len(monitored) {
		tb.Errorf("Len() = %d, want %d ≤ %d", s.Len(), len(monitored), capacity)
	}
	for key, truth := range exact {
		if truth*uint64(capacity) > total && !monitored[key] {
			tb.Errorf("key %q: true count %d > N/k = %d/%d, but not monitored", key, truth, total, capacity)
		}
	}
}

func TestNewSpaceSaving(t *testing.T) {
	for _, capacity := range []int{0, -1, maxKeyTableCapacity + 1} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewSpaceSaving(%d) did not panic", capacity)
				}
			}()
			NewSpaceSaving(capacity)
		}()
	}
}

// evictedEntry is an EvictedEntry with its key copied.
type evictedEntry struct {
	Key        string
	Count, Err uint64
}

func TestSpaceSaving_Add(t *testing.T) {
	tests := []struct {
		name     string
		capacity int
		keys     string // one key per byte
		evicted  []evictedEntry
		want     []Entry
	}{
		{name: "empty", capacity: 2},
		{name: "one key", capacity: 2, keys: "aaa", want: []Entry{{"a", 3, 0}}},
		{name: "under capacity", capacity: 3, keys: "abcab", want: []Entry{{"a", 2, 0}, {"b", 2, 0}, {"c", 1, 0}}},
		{
			name: "evicts the smallest", capacity: 2, keys: "abac",
			evicted: []evictedEntry{{"b", 1, 0}},
			want:    []Entry{{"a", 2, 0}, {"c", 2, 1}},
		},
		{
			name: "evicted count carries over", capacity: 2, keys: "abacd",
			evicted: []evictedEntry{{"b", 1, 0}, {"c", 2, 1}},
			want:    []Entry{{"a", 2, 0}, {"d", 3, 2}},
		},
		{
			name: "capacity one", capacity: 1, keys: "aabca",
			evicted: []evictedEntry{{"a", 2, 0}, {"b", 3, 2}, {"c", 4, 3}},
			want:    []Entry{{"a", 5, 4}},
		},
		{
			name: "returning key", capacity: 2, keys: "aabcb",
			evicted: []evictedEntry{{"b", 1, 0}, {"c", 2, 1}},
			want:    []Entry{{"a", 2, 0}, {"b", 3, 2}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := NewSpaceSaving(tt.capacity)
			var evicted []evictedEntry
			for i := range len(tt.keys) {
				if e, ok := s.Add([]byte(tt.keys[i : i+1])); ok {
					evicted = append(evicted, evictedEntry{string(e.Key), e.Count, e.Err})
				}
				checkSpaceSavingOrder(t, s)
			}
			if diff := cmp.Diff(tt.evicted, evicted); diff != "" {
				t.Errorf("evicted (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, spaceSavingContents(s)); diff != "" {
				t.Errorf("contents (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("random", func(t *testing.T) {
		t.Parallel()
		// Small alphabets and skewed draws put many keys near N/k.
		r := rand.New(rand.NewPCG(2, 3))
		for round := range 200 {
			capacity := 1 + r.IntN(12)
			alphabet := 1 + r.IntN(40)
			s := NewSpaceSaving(capacity)
			exact := map[string]uint64{}
			n := r.IntN(500)
			for i := range n {
				k := fmt.Appendf(nil, "k%d", min(r.IntN(alphabet), r.IntN(alphabet)))
				exact[string(k)]++
				wantEvict := s.Len() == capacity && s.t.lookup(k, s.t.hash(k)) < 0
				if _, ok := s.Add(k); ok != wantEvict {
					t.Fatalf("round %d: Add(%q) #%d evicted = %t, want %t", round, k, i, ok, wantEvict)
				}
				checkSpaceSavingOrder(t, s)
			}
			checkSpaceSavingBounds(t, s, capacity, exact, uint64(n))
			if t.Failed() {
				t.Fatalf("round %d (capacity %d, alphabet %d, %d adds) failed", round, capacity, alphabet, n)
			}
		}
	})

	t.Run("zipf", func(t *testing.T) {
		t.Parallel()
		const (
			capacity = 256
			top      = 20
		)
		adds := 1_000_000
		if testing.Short() {
			adds = 250_000 // .ci/run's race pass
		}
		r := rand.New(rand.NewPCG(11, 12))
		z := rand.NewZipf(r, 1.1, 1, 1_000_000-1)
		s := NewSpaceSaving(capacity)
		exact := map[string]uint64{}
		var key []byte
		for range adds {
			key = fmt.Appendf(key[:0], "key-%012d", z.Uint64())
			exact[string(key)]++
			s.Add(key)
		}
		checkSpaceSavingBounds(t, s, capacity, exact, uint64(adds))
		want := exactTop(exact, top)
		var got []string
		for _, e := range s.Top(top) {
			got = append(got, e.Key)
		}
		missed := 0
		for _, k := range want {
			if !slices.Contains(got, k) {
				missed++
			}
		}
		if missed != 0 {
			t.Errorf("top-%d recall = %d/%d; Top(%d) = %v, want %v", top, top-missed, top, top, got, want)
		}
	})

	t.Run("flood", func(t *testing.T) {
		t.Parallel()
		// One heavy key at 5% of the stream, hidden in 1,000,000 keys
		// seen once each, so nearly every Add evicts.
		const (
			capacity = 256
			distinct = 1_000_000
		)
		heavy := []byte("203.0.113.7:POST")
		r := rand.New(rand.NewPCG(5, 6))
		s := NewSpaceSaving(capacity)
		var heavyCount, total uint64
		var evictions int
		key := make([]byte, 16)
		for i := uint64(0); i < distinct; {
			total++
			if r.Float64() < 0.05 {
				heavyCount++
				if _, ok := s.Add(heavy); ok {
					evictions++
				}
				continue
			}
			binary.BigEndian.PutUint64(key[8:], i)
			i++
			if _, ok := s.Add(key); ok {
				evictions++
			}
		}
		var found bool
		var sum uint64
		s.Each(func(key []byte, count, err uint64) {
			sum += count
			truth := uint64(1)
			if string(key) == string(heavy) {
				found = true
				truth = heavyCount
			}
			if count-err > truth || truth > count {
				t.Errorf("key %q: count %d, err %d, true count %d outside [count-err, count]", key, count, err, truth)
			}
		})
		if !found {
			t.Errorf("heavy key (%d of %d adds) not monitored", heavyCount, total)
		}
		if sum != total {
			t.Errorf("sum of counts = %d, want %d", sum, total)
		}
		if evictions < distinct-2*capacity {
			t.Errorf("%d evictions, want about %d", evictions, distinct)
		}
		if e := s.Top(1); len(e) != 1 || e[0].Key != string(heavy) {
			t.Errorf("Top(1) = %v, want the heavy key first", e)
		}
	})

	t.Run("deterministic", func(t *testing.T) {
		t.Parallel()
		// Two summaries have different hash seeds; ties must still be
		// broken the same way.
		run := func() []evictedEntry {
			s := NewSpaceSaving(8)
			r := rand.New(rand.NewPCG(7, 8))
			var out []evictedEntry
			for range 5000 {
				if e, ok := s.Add(fmt.Appendf(nil, "k%d", r.IntN(30))); ok {
					out = append(out, evictedEntry{string(e.Key), e.Count, e.Err})
				}
			}
			return out
		}
		if diff := cmp.Diff(run(), run()); diff != "" {
			t.Errorf("evictions differ between runs (-first +second):\n%s", diff)
		}
	})

	t.Run("does not keep key", func(t *testing.T) {
		t.Parallel()
		s := NewSpaceSaving(2)
		key := []byte("abc")
		s.Add(key)
		copy(key, "xyz")
		want := []Entry{{"abc", 1, 0}}
		if diff := cmp.Diff(want, spaceSavingContents(s)); diff != "" {
			t.Errorf("contents after the caller reused its buffer (-want +got):\n%s", diff)
		}
	})
}

// exactTop returns the n keys with the highest counts, ties broken by key.
func exactTop(exact map[string]uint64, n int) []string {
	keys := make([]string, 0, len(exact))
	for k := range exact {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if exact[a] != exact[b] {
			if exact[a] > exact[b] {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return keys[:min(n, len(keys))]
}

func TestSpaceSaving_Top(t *testing.T) {
	s := NewSpaceSaving(4)
	for _, k := range []string{"d", "b", "c", "b", "a", "b", "c", "a", "d"} {
		s.Add([]byte(k))
	}
	all := []Entry{{"b", 3, 0}, {"a", 2, 0}, {"c", 2, 0}, {"d", 2, 0}}
	tests := []struct {
		n    int
		want []Entry
	}{
		{0, nil},
		{-3, nil},
		{1, all[:1]},
		{2, all[:2]}, // ties at 2 broken by key
		{4, all},
		{5, all},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, s.Top(tt.n)); diff != "" {
			t.Errorf("Top(%d) (-want +got):\n%s", tt.n, diff)
		}
	}
}

// TestSpaceSaving_settle checks that a summary that logs its Adds and
// builds its count order when it fills evicts exactly the keys that one
// keeping the order at every Add evicts, on random streams.
func TestSpaceSaving_settle(t *testing.T) {
	skipLongInShort(t)
	rng := rand.New(rand.NewPCG(5, 6))
	for _, capacity := range []int{1, 2, 3, 8, 64} {
		for _, keys := range []int{2, capacity, 2 * capacity, 50 * capacity} {
			lazy, eager := NewSpaceSaving(capacity), NewSpaceSaving(capacity)
			eager.settle() // keeps the order at every Add
			for i := range 20000 {
				if rng.IntN(3000) == 0 {
					lazy.Reset()
					eager.Reset()
					eager.settle() // keeps the order at every Add
				}
				k := fmt.Appendf(nil, "k%d", min(rng.IntN(keys), rng.IntN(keys))) // skewed
				le, lok := lazy.Add(k)
				ee, eok := eager.Add(k)
				if lok != eok || string(le.Key) != string(ee.Key) || le.Count != ee.Count || le.Err != ee.Err {
					t.Fatalf("capacity %d, %d keys, Add %d (%s): evicted %q %d %d %v, want %q %d %d %v",
						capacity, keys, i, k, le.Key, le.Count, le.Err, lok, ee.Key, ee.Count, ee.Err, eok)
				}
				lc, lerr := lazy.Added()
				if ec, eerr := eager.Added(); lc != ec || lerr != eerr {
					t.Fatalf("Added() = %d, %d, want %d, %d", lc, lerr, ec, eerr)
				}
			}
			if !lazy.settled {
				n := lazy.t.n
				counts := slices.Clone(lazy.t.counts[:n])
				lazy.settle()
				if !slices.Equal(lazy.t.counts[:n], counts) {
					t.Fatalf("capacity %d, %d keys: replayed counts %v, want %v", capacity, keys, lazy.t.counts[:n], counts)
				}
			}
			if !slices.Equal(lazy.order[:lazy.t.n], eager.order[:eager.t.n]) {
				t.Fatalf("capacity %d, %d keys: order %v, want %v", capacity, keys, lazy.order[:lazy.t.n], eager.order[:eager.t.n])
			}
			checkSpaceSavingOrder(t, lazy)
		}
	}
}

func TestSpaceSaving_Reset(t *testing.T) {
	s := NewSpaceSaving(2)
	for _, k := range []string{"a", "b", "c"} {
		s.Add([]byte(k))
	}
	s.Reset()
	if s.Len() != 0 {
		t.Errorf("Len() after Reset = %d, want 0", s.Len())
	}
	for _, k := range []string{"x", "y", "x"} {
		if e, ok := s.Add([]byte(k)); ok {
			t.Errorf("Add(%q) after Reset evicted %q", k, e.Key)
		}
	}
	want := []Entry{{"x", 2, 0}, {"y", 1, 0}}
	if diff := cmp.Diff(want, spaceSavingContents(s)); diff != "" {
		t.Errorf("contents (-want +got):\n%s", diff)
	}
	checkSpaceSavingOrder(t, s)
}

// TestSpaceSaving_allocs checks that a warm summary does not allocate, on
// the eviction path included.
func TestSpaceSaving_allocs(t *testing.T) {
	const capacity = 64
	keys := benchKeys(4 * capacity)
	s := NewSpaceSaving(capacity)
	i := 0
	workload := func() {
		s.Reset()
		for _, k := range keys { // fills, then evicts on every Add
			s.Add(k)
		}
	}
	workload()
	tests := []struct {
		name string
		f    func()
	}{
		{"Add present", func() { s.Add(keys[len(keys)-1-i%capacity]); i++ }},
		{"Add absent evicts", func() { s.Add(keys[i%len(keys)]); i++ }},
		{"Reset and rerun", workload},
	}
	for _, tt := range tests {
		if got := testing.AllocsPerRun(100, tt.f); got != 0 {
			t.Errorf("%s: %v allocs per run, want 0", tt.name, got)
		}
	}
}

func ExampleSpaceSaving() {
	s := NewSpaceSaving(2) // monitor at most 2 clients
	for _, ip := range []string{"10.0.0.1", "10.0.0.2", "10.0.0.1", "10.0.0.3", "10.0.0.1"} {
		if e, ok := s.Add([]byte(ip)); ok {
			fmt.Printf("evicted %s (count %d)\n", e.Key, e.Count)
		}
	}
	for _, e := range s.Top(2) {
		fmt.Printf("%s: between %d and %d requests\n", e.Key, e.Count-e.Err, e.Count)
	}
	// Output:
	// evicted 10.0.0.2 (count 1)
	// 10.0.0.1: between 3 and 3 requests
	// 10.0.0.3: between 1 and 2 requests
}

func BenchmarkSpaceSaving_Add(b *testing.B) {
	const capacity = 256
	b.Run("zipf", func(b *testing.B) {
		r := rand.New(rand.NewPCG(1, 2))
		z := rand.NewZipf(r, 1.1, 1, 1_000_000-1)
		keys := make([][]byte, 1<<16)
		for i := range keys {
			keys[i] = fmt.Appendf(nil, "key-%012d", z.Uint64())
		}
		s := NewSpaceSaving(capacity)
		for _, k := range keys {
			s.Add(k)
		}
		b.ReportAllocs()
		b.SetBytes(16)
		n := 0
		for b.Loop() {
			s.Add(keys[n&(len(keys)-1)])
			n++
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "ops/s")
	})
	b.Run("flood", func(b *testing.B) {
		// Every key is new, so every Add evicts.
		s := NewSpaceSaving(capacity)
		key := []byte("flood-0000000000")
		var i uint64
		for ; i < capacity; i++ {
			binary.BigEndian.PutUint64(key[8:], i)
			s.Add(key)
		}
		b.ReportAllocs()
		b.SetBytes(int64(len(key)))
		n := 0
		for b.Loop() {
			binary.BigEndian.PutUint64(key[8:], i)
			i++
			if _, ok := s.Add(key); !ok {
				b.Fatal("Add did not evict")
			}
			n++
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "ops/s")
	})
}
