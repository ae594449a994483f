package slidinghll

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestTable checks the sparse keys' hash table against a map under random
// inserts, updates and deletions that grow and shrink it.
func TestTable(t *testing.T) {
	for _, universe := range []uint32{5, 100, 5000} {
		t.Run(fmt.Sprint(universe), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(universe), 3))
			var tb table
			ref := map[uint32]uint32{}
			shrunk := 0
			for i := range 200_000 {
				size := len(tb.slots)
				k := 1 + rng.Uint32N(universe) // 0 marks an empty slot
				if i%20_000 < 12_000 {         // phases that fill and drain
					v := rng.Uint32()
					keepOld := rng.IntN(2) == 0
					old, had := ref[k]
					set := tb.put(k, v, func(uint32) bool { return keepOld })
					if want := !had || !keepOld; set != want {
						t.Fatalf("put(%d): %v, want %v", k, set, want)
					}
					if !had || !keepOld {
						ref[k] = v
					} else if got, _ := tb.get(k); got != old {
						t.Fatalf("put(%d) kept %d, want %d", k, got, old)
					}
				} else {
					for rk := range ref { // mostly keys held: the table drains
						if rng.IntN(4) != 0 {
							k = rk
						}
						break
					}
					v, had := ref[k]
					if rng.IntN(4) == 0 {
						v++ // a stale value: not deleted
						had = false
					}
					if got := tb.del(k, v); got != had {
						t.Fatalf("del(%d, %d) = %v, want %v", k, v, got, had)
					}
					if had {
						delete(ref, k)
					}
				}
				if len(tb.slots) < size {
					shrunk++
				}
				if i%997 == 0 {
					if tb.len() != len(ref) {
						t.Fatalf("len() = %d, want %d", tb.len(), len(ref))
					}
					for k, v := range ref {
						if got, ok := tb.get(k); !ok || got != v {
							t.Fatalf("get(%d) = %d, %v, want %d", k, got, ok, v)
						}
					}
					n := 0
					tb.each(func(k, v uint32) {
						n++
						if ref[k] != v {
							t.Fatalf("each: %d → %d, want %d", k, v, ref[k])
						}
					})
					if n != len(ref) || len(tb.slots) > minTableSlots && len(ref)*8 < len(tb.slots) {
						t.Fatalf("each: %d keys; %d slots for %d keys", n, len(tb.slots), len(ref))
					}
				}
			}
			if shrunk == 0 && universe > minTableSlots {
				t.Error("the table never shrank")
			}
		})
	}
}
