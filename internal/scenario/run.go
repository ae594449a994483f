package scenario

import (
	"context"
	"sync"
)

// Cell is one scenario of the matrix and what became of it.
type Cell struct {
	Row  *Row
	Size float64
	// Result and Verdict are nil for a cell the mode does not run.
	Result  *Result
	Verdict *Verdict
}

// Name is "row@size".
func (c *Cell) Name() string { return c.Row.Name + "@" + SizeLabel(c.Size) }

// Matrix lists the cells of rows × sizes, in table order.
func Matrix(rows []*Row, sizes []float64) []*Cell {
	var cells []*Cell
	for _, r := range rows {
		for _, s := range sizes {
			cells = append(cells, &Cell{Row: r, Size: s})
		}
	}
	return cells
}

// Run replays every cell the mode includes through rp, parallel at a
// time, and judges it. done, when set, is called after each cell (from
// one goroutine at a time). It stops at the first error.
func Run(ctx context.Context, rp *Replayer, cells []*Cell, m Mode, parallel int, done func(*Cell)) error {
	rp = oneCoreEach(rp, parallel)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan *Cell)
	var (
		mu       sync.Mutex
		firstErr error
		wg       sync.WaitGroup
	)
	for range max(1, parallel) {
		wg.Go(func() {
			for c := range work {
				res, err := rp.Run(ctx, Build(c.Row, c.Size, m))
				mu.Lock()
				if err != nil {
					if firstErr == nil {
						firstErr = err
						cancel()
					}
					mu.Unlock()
					continue
				}
				v := Judge(res.Truth, res.Alerts)
				c.Result, c.Verdict = res, &v
				if done != nil {
					done(c)
				}
				mu.Unlock()
			}
		})
	}
	for _, c := range cells {
		if !Included(c.Row, c.Size, m) {
			continue
		}
		select {
		case work <- c:
		case <-ctx.Done():
		}
	}
	close(work)
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return firstErr
}
