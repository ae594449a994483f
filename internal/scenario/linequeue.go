package scenario

import (
	"container/heap"
	"io"
	"time"
)

// lineQueue orders lines that a format writes at several times per
// request (Phoenix's start and Sent lines, a drain's app lines): each
// request's lines are queued, and written once no later request can come
// before them.
type lineQueue struct {
	items lineHeap
	seq   uint64
}

type line struct {
	at   time.Time
	seq  uint64
	text []byte
}

type lineHeap []line

func (h lineHeap) Len() int { return len(h) }
func (h lineHeap) Less(i, j int) bool {
	if c := h[i].at.Compare(h[j].at); c != 0 {
		return c < 0
	}
	return h[i].seq < h[j].seq
}
func (h lineHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *lineHeap) Push(x any)   { *h = append(*h, x.(line)) }
func (h *lineHeap) Pop() any {
	old := *h
	l := old[len(old)-1]
	*h = old[:len(old)-1]
	return l
}

func (lq *lineQueue) add(at time.Time, text []byte) {
	lq.seq++
	heap.Push(&lq.items, line{at: at, seq: lq.seq, text: text})
}

// writeBefore writes the lines stamped before t.
func (lq *lineQueue) writeBefore(t time.Time, w io.Writer) error {
	for len(lq.items) > 0 && lq.items[0].at.Before(t) {
		l := heap.Pop(&lq.items).(line)
		if _, err := w.Write(l.text); err != nil {
			return err
		}
	}
	return nil
}

// lineSlack is how long before its End a request's first line can be:
// the longest app response (edge answers, like a 60 s timeout, are not in
// an app's log) with room to spare.
const lineSlack = 2 * time.Second
