package detector

import (
	"math"
	"time"
)

// dailyPeaks keeps the highest value a rule reached in each minute of the
// last dailyMinutes, for a baseline that knows what recurs daily
// (Baseline.RecurringDaily): a nightly job on the host (a cache warm-up,
// an export), a daily import, a newsletter sent at the same hour. A rise
// within recurSlack of the time of day it came the day before, and at
// most RecurFactor times as high, is the site's own: the threshold is
// raised to it for that hour. The first day still fires. A ring of a
// float32 per minute: one comparison per evaluation, 121 minutes read.
type dailyPeaks struct {
	v    [dailyMinutes]float32
	last int64 // the newest minute noted (Unix seconds / 60)
	seen bool
}

// dailyMinutes is how far back dailyPeaks keeps: a day and recurSlack
// either side of it, with room to spare.
const dailyMinutes = 26 * 60

// recurSlack is how many minutes from the same time the day before a
// rise may have come and still recur: an hour, so that a job scheduled in
// local time recurs across a change of daylight saving time.
const recurSlack = 60

// RecurFactor is how many times what a rule reached near the same time
// the day before a value may be and still recur (see dailyPeaks): a job's
// pace varies from night to night, a bigger rise at its hour is news.
const RecurFactor = 1.5

// minuteOf is the Unix minute of at, rounded down.
func minuteOf(at time.Time) int64 {
	s := at.Unix()
	m := s / 60
	if s < 0 && s%60 != 0 {
		m--
	}
	return m
}

// note records value v reached at at (a boundary's).
func (d *dailyPeaks) note(v float64, at time.Time) {
	m := minuteOf(at)
	switch {
	case !d.seen || m-d.last >= dailyMinutes:
		d.v = [dailyMinutes]float32{}
		d.last, d.seen = m, true
	case m > d.last:
		for x := d.last + 1; x <= m; x++ {
			d.v[mod(x, dailyMinutes)] = 0
		}
		d.last = m
	case m <= d.last-dailyMinutes:
		return
	}
	if math.IsNaN(v) || v <= 0 {
		return
	}
	i := mod(m, dailyMinutes)
	d.v[i] = max(d.v[i], float32(min(v, math.MaxFloat32)))
}

// yesterday returns the highest value noted within recurSlack minutes of
// at's time of day, the day before; 0 when none was.
func (d *dailyPeaks) yesterday(at time.Time) float64 {
	if !d.seen {
		return 0
	}
	m := minuteOf(at) - 24*60
	var hi float32
	for x := max(m-recurSlack, d.last-dailyMinutes+1); x <= min(m+recurSlack, d.last); x++ {
		hi = max(hi, d.v[mod(x, dailyMinutes)])
	}
	return float64(hi)
}

// DailySnapshot is a rule's dailyPeaks in a state snapshot: the newest
// minute and the peaks of the minutes up to it, oldest first (fewer when
// the rule began less than dailyMinutes before).
type DailySnapshot struct {
	Last  int64     `json:"last"`
	Peaks []float32 `json:"peaks"`
}

func (d *dailyPeaks) snapshot() *DailySnapshot {
	if !d.seen {
		return nil
	}
	s := &DailySnapshot{Last: d.last, Peaks: make([]float32, dailyMinutes)}
	for i := range s.Peaks {
		s.Peaks[i] = d.v[mod(d.last-dailyMinutes+1+int64(i), dailyMinutes)]
	}
	return s
}

func (d *dailyPeaks) restore(s *DailySnapshot) {
	*d = dailyPeaks{}
	if s == nil {
		return
	}
	d.last, d.seen = s.Last, true
	peaks := s.Peaks[max(len(s.Peaks)-dailyMinutes, 0):]
	first := s.Last - int64(len(peaks)) + 1
	for i, v := range peaks {
		if v > 0 && !math.IsInf(float64(v), 0) {
			d.v[mod(first+int64(i), dailyMinutes)] = v
		}
	}
}
