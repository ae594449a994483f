package slidinghll

// queue holds the visits that expiry owes: (step, item) pairs, an item
// being a sparse key or a dense register, each to be visited once its step
// leaves the window. Pairs pushed in step order (nearly all of them) go to
// a FIFO stored as runs of equal steps; a pair older than the FIFO's
// newest (an event at an older step than one already queued) goes to a
// min-heap. A visit is idempotent, and a pair whose item has since changed
// is stale: compact drops those, so that the queue stays proportional to
// the live state rather than to the traffic.
type queue[E uint16 | uint32] struct {
	items []E // FIFO: items[head:] pending
	head  int
	runs  []run // runs[rhead:]: the steps of items[head:], in order
	rhead int
	late  []lateVisit[E] // min-heap on step
	limit int            // compact when the queue grows past it
}

// run is a FIFO segment of n items of one step.
type run struct {
	step int64
	n    int
}

// lateVisit is a pair that arrived after a newer step was queued.
type lateVisit[E uint16 | uint32] struct {
	step int64
	item E
}

// minCompact is the queue length under which compact is never called.
const minCompact = 256

// len returns the number of pending pairs, stale ones included.
func (q *queue[E]) len() int { return len(q.items) - q.head + len(q.late) }

// push queues a visit of item at step.
func (q *queue[E]) push(step int64, item E) {
	if q.rhead < len(q.runs) {
		last := &q.runs[len(q.runs)-1]
		switch {
		case step == last.step:
			last.n++
			q.items = append(q.items, item)
			return
		case step < last.step:
			q.pushLate(step, item)
			return
		}
	}
	q.runs = append(q.runs, run{step: step, n: 1})
	q.items = append(q.items, item)
}

// expire visits, and drops, every pair whose step is before start.
func (q *queue[E]) expire(start int64, visit func(step int64, item E)) {
	items, runs := 0, 0
	for q.rhead < len(q.runs) && q.runs[q.rhead].step < start {
		r := q.runs[q.rhead]
		for _, it := range q.items[q.head : q.head+r.n] {
			visit(r.step, it)
		}
		q.head += r.n
		q.rhead++
		items += r.n
		runs++
	}
	for len(q.late) > 0 && q.late[0].step < start {
		v := q.popLate()
		visit(v.step, v.item)
	}
	if runs > 0 {
		q.reclaim(items, runs)
	}
}

// reclaim moves the pending FIFO to the front of its arrays once the
// visited part is the larger, and lets go of arrays more than four times
// what they hold and what a step just visited: amortized O(1) per pair,
// and memory that follows the traffic down.
func (q *queue[E]) reclaim(items, runs int) {
	if q.head > len(q.items)/2 {
		q.items = fit(q.items[:copy(q.items, q.items[q.head:])], items)
		q.head = 0
	}
	if q.rhead > len(q.runs)/2 {
		q.runs = fit(q.runs[:copy(q.runs, q.runs[q.rhead:])], runs)
		q.rhead = 0
	}
}

// fit returns s, or a copy of it in a smaller array when s's array is
// over four times both its length and need.
func fit[T any](s []T, need int) []T {
	n := max(len(s), need)
	switch {
	case cap(s) <= 64 || cap(s) <= 4*n:
		return s
	case n == 0:
		return nil
	}
	return append(make([]T, 0, 2*n), s...)
}

// due reports whether the queue has grown to four times its length after
// the last compaction: compacting then costs amortized O(1) per push (at
// most 4/3 liveness checks), and leaves the queue at most four times the
// live state.
func (q *queue[E]) due() bool { return q.len() > max(q.limit, minCompact) }

// compact drops the pairs for which live reports false.
func (q *queue[E]) compact(live func(step int64, item E) bool) {
	items, runs := q.items[:0], q.runs[:0]
	i := q.head
	for _, r := range q.runs[q.rhead:] {
		n := 0
		for _, it := range q.items[i : i+r.n] {
			if live(r.step, it) {
				items = append(items, it)
				n++
			}
		}
		i += r.n
		if n > 0 {
			runs = append(runs, run{step: r.step, n: n})
		}
	}
	q.items, q.runs, q.head, q.rhead = items, runs, 0, 0
	late := q.late[:0]
	for _, v := range q.late {
		if live(v.step, v.item) {
			late = append(late, v)
		}
	}
	q.late = fit(late, 0)
	for i := len(q.late)/2 - 1; i >= 0; i-- {
		q.down(i)
	}
	q.limit = 4 * q.len() // the FIFO's arrays stay: it grows back to the limit
}

func (q *queue[E]) pushLate(step int64, item E) {
	q.late = append(q.late, lateVisit[E]{step, item})
	for i := len(q.late) - 1; i > 0; {
		p := (i - 1) / 2
		if q.late[p].step <= q.late[i].step {
			break
		}
		q.late[p], q.late[i] = q.late[i], q.late[p]
		i = p
	}
}

func (q *queue[E]) popLate() lateVisit[E] {
	v := q.late[0]
	n := len(q.late) - 1
	q.late[0] = q.late[n]
	q.late = q.late[:n]
	q.down(0)
	if len(q.late) < cap(q.late)/4 {
		q.late = fit(q.late, 0)
	}
	return v
}

func (q *queue[E]) down(i int) {
	h := q.late
	for {
		c := 2*i + 1
		if c >= len(h) {
			return
		}
		if c+1 < len(h) && h[c+1].step < h[c].step {
			c++
		}
		if h[i].step <= h[c].step {
			return
		}
		h[i], h[c] = h[c], h[i]
		i = c
	}
}

// each calls f for every pending pair: the FIFO in step order, then the
// heap in no order.
func (q *queue[E]) each(f func(step int64, item E)) {
	i := q.head
	for _, r := range q.runs[q.rhead:] {
		for _, it := range q.items[i : i+r.n] {
			f(r.step, it)
		}
		i += r.n
	}
	for _, v := range q.late {
		f(v.step, v.item)
	}
}
