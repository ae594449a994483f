package detector

import (
	"math"
	"time"
)

// dailyPeaks keeps the highest value a rule reached in each five minutes
// of the last 26 hours, for a baseline that knows what recurs daily
// (Baseline.RecurringDaily): a nightly job on the host (a cache warm-up,
// an export), a daily import, a newsletter sent at the same hour. A rise
// within recurSlack of the time of day it came the day before (to the
// five minutes), and at most RecurFactor times as high, is the site's
// own: the threshold is raised to it for that hour. The first day still
// fires. A ring of a float32 per five minutes (312, so that a state
// snapshot, which a fleet's evaluator writes every second, stays small):
// one comparison per evaluation, 25 slots read.
type dailyPeaks struct {
	v    [dailySlots]float32
	last int64 // the newest slot noted (Unix seconds / dailySlot)
	seen bool
}

// dailySlot is the span of one slot of dailyPeaks, in seconds.
const dailySlot = 5 * 60

// dailySlots is how many slots dailyPeaks keeps: a day and recurSlack
// either side of it, with room to spare.
const dailySlots = 26 * 3600 / dailySlot

// recurSlack is how far from the same time the day before a rise may
// have come and still recur: an hour, so that a job scheduled in local
// time recurs across a change of daylight saving time. In slots: the
// slot of that time and 12 either side (up to 64 minutes).
const recurSlack = 3600 / dailySlot

// RecurFactor is how many times what a rule reached near the same time
// the day before a value may be and still recur (see dailyPeaks): a job's
// pace varies from night to night, a bigger rise at its hour is news.
const RecurFactor = 1.5

// slotOf is the dailyPeaks slot of at: Unix seconds over dailySlot,
// rounded down.
func slotOf(at time.Time) int64 {
	s := at.Unix()
	m := s / dailySlot
	if s < 0 && s%dailySlot != 0 {
		m--
	}
	return m
}

// note records value v reached at at (a boundary's).
func (d *dailyPeaks) note(v float64, at time.Time) {
	m := slotOf(at)
	switch {
	case !d.seen || m-d.last >= dailySlots:
		d.v = [dailySlots]float32{}
		d.last, d.seen = m, true
	case m > d.last:
		for x := d.last + 1; x <= m; x++ {
			d.v[mod(x, dailySlots)] = 0
		}
		d.last = m
	case m <= d.last-dailySlots:
		return
	}
	if math.IsNaN(v) || v <= 0 {
		return
	}
	i := mod(m, dailySlots)
	d.v[i] = max(d.v[i], float32(min(v, math.MaxFloat32)))
}

// yesterday returns the highest value noted within recurSlack slots of
// at's, the day before; 0 when none was.
func (d *dailyPeaks) yesterday(at time.Time) float64 {
	if !d.seen {
		return 0
	}
	m := slotOf(at) - 24*3600/dailySlot
	var hi float32
	for x := max(m-recurSlack, d.last-dailySlots+1); x <= min(m+recurSlack, d.last); x++ {
		hi = max(hi, d.v[mod(x, dailySlots)])
	}
	return float64(hi)
}

// DailySnapshot is a rule's dailyPeaks in a state snapshot: the newest
// slot (Unix seconds over 300) and the peaks of the slots up to it,
// oldest first, from the first that holds one (fewer than the ring's when
// the rule began less than 26 hours before).
type DailySnapshot struct {
	Last  int64     `json:"last"`
	Peaks []float32 `json:"peaks"`
}

func (d *dailyPeaks) snapshot() *DailySnapshot {
	if !d.seen {
		return nil
	}
	peaks := make([]float32, dailySlots)
	for i := range peaks {
		peaks[i] = d.v[mod(d.last-dailySlots+1+int64(i), dailySlots)]
	}
	first := 0
	for first < len(peaks)-1 && peaks[first] == 0 {
		first++
	}
	return &DailySnapshot{Last: d.last, Peaks: peaks[first:]}
}

func (d *dailyPeaks) restore(s *DailySnapshot) {
	*d = dailyPeaks{}
	if s == nil {
		return
	}
	d.last, d.seen = s.Last, true
	peaks := s.Peaks[max(len(s.Peaks)-dailySlots, 0):]
	first := s.Last - int64(len(peaks)) + 1
	for i, v := range peaks {
		if v > 0 && !math.IsInf(float64(v), 0) {
			d.v[mod(first+int64(i), dailySlots)] = v
		}
	}
}
