package detector

import (
	"math"
	"time"
)

// recentLag is how far under its normal the minutes before a drop rule's
// window must be for the gate to hold (see [learned.threshold]): where
// they are the normal's own, a site just over the floor, the gate's
// 9-minute mean is noisier than the normal, and would miss its stops.
const recentLag = 0.6

// recentValues keeps a drop rule's values of the last minutes, a mean a
// minute, noted while the rule is inactive. A drop rule decides only where
// its learned normal is at its floor or above; on a site whose evening
// falls steeply, the normal (an hour's half-life) lags at 2 to 3 times the
// rate, and a lull between the visits of a site at 0.4 requests a second
// looked like a stopped log. The gate asks the minutes before the rule's
// own window too (see gate).
type recentValues struct {
	cur      int64 // the minute being summed, Unix minutes
	sum      float64
	n        int
	means    []float64
	minuteOf []int64 // the minute each slot's mean is of
	have     []bool
}

// newRecentValues keeps the minutes a rule with this window asks for:
// the window and one more, then 9, and one being summed.
func newRecentValues(window time.Duration) *recentValues {
	n := int(window/time.Minute) + 12
	return &recentValues{means: make([]float64, n), minuteOf: make([]int64, n), have: make([]bool, n)}
}

// note adds a boundary's value at at.
func (r *recentValues) note(v float64, at time.Time) {
	m := at.Unix() / 60
	if m != r.cur {
		r.close()
		r.cur, r.sum, r.n = m, 0, 0
	}
	r.sum += v
	r.n++
}

// close stores the minute being summed.
func (r *recentValues) close() {
	if r.n == 0 {
		return
	}
	i := int(mod(r.cur, int64(len(r.means))))
	r.means[i], r.minuteOf[i], r.have[i] = r.sum/float64(r.n), r.cur, true
}

// gate returns the mean of the minute means from lag+9 minutes to lag
// minutes before at, and whether at least 5 of those minutes were noted
// (a rule just started, or active for most of them, is not gated).
func (r *recentValues) gate(at time.Time, lag time.Duration) (float64, bool) {
	r.close()
	to := at.Add(-lag).Unix() / 60
	sum, n := 0.0, 0
	for m := to - 9; m < to; m++ {
		if i := int(mod(m, int64(len(r.means)))); r.have[i] && r.minuteOf[i] == m {
			sum += r.means[i]
			n++
		}
	}
	if n < 5 {
		return math.NaN(), false
	}
	return sum / float64(n), true
}
