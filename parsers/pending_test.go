package parsers

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestPendingTable checks the table against a plain list: find returns
// the oldest entry of a key, also when keys repeat, across removals from
// anywhere and growth of the index.
func TestPendingTable(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var tb pendingTable
	tb.init()
	type entry struct {
		key string
		x   int32
	}
	var model []entry // oldest first
	for step := range 20000 {
		op := rng.IntN(10)
		grow := step < 10000 // the first half fills the table, the second drains it
		switch {
		case len(model) == 0 || grow && op < 7 || !grow && op < 3: // add; few keys, so that they repeat
			key := fmt.Sprintf("k%d", rng.IntN(40))
			line := []byte("start " + key)
			x, s := tb.alloc()
			s.reset(line)
			s.key = s.ref(line, line[len("start "):])
			tb.add(x)
			model = append(model, entry{key, x})
		case op < 8 || grow: // complete the oldest of a key
			key := model[rng.IntN(len(model))].key
			x := tb.find([]byte(key))
			for i, e := range model {
				if e.key == key {
					if x != e.x {
						t.Fatalf("step %d: find(%s) = %d, want %d (the oldest)", step, key, x, e.x)
					}
					model = append(model[:i], model[i+1:]...)
					break
				}
			}
			tb.remove(x)
		default: // evict the oldest of all
			if tb.head != model[0].x {
				t.Fatalf("step %d: head = %d, want %d", step, tb.head, model[0].x)
			}
			tb.remove(tb.head)
			model = model[1:]
		}
		if tb.count != len(model) {
			t.Fatalf("step %d: count = %d, want %d", step, tb.count, len(model))
		}
	}
	if len(tb.index) < 1024 {
		t.Errorf("index of %d places: the test never grew it", len(tb.index))
	}
	if x := tb.find([]byte("absent")); x != -1 {
		t.Errorf("find(absent) = %d, want -1", x)
	}
}
