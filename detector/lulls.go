package detector

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// MaxLullWait is the longest a drop rule with Baseline.LullFactor waits
// for a silence to outlast the site's lulls: a site whose visits come
// minutes apart is under log-stops' floor anyway, and traffic-drop sees
// the rest.
const MaxLullWait = 5 * time.Minute

// LullMinutes is how far back a drop rule with Baseline.LullFactor looks
// for the site's lulls.
const LullMinutes = 10

// lulls keeps, per minute, the longest time between two consecutive
// events of a rule that ended in it (see Baseline.LullFactor): a ring of
// the last LullMinutes+1 minutes. It costs a comparison per event, and a
// store when the minute changes.
type lulls struct {
	minute  [LullMinutes + 1]int64 // the Unix minute each slot holds
	longest [LullMinutes + 1]int64 // its longest lull, nanoseconds
	next    int64                  // the start of the minute after the newest slot's, Unix nanoseconds
	cur     int                    // the newest slot
}

// note records a lull of gap nanoseconds that ended at ns.
func (l *lulls) note(ns, gap int64) {
	if ns >= l.next {
		m := ns / int64(time.Minute)
		l.cur = int(mod(m, LullMinutes+1))
		l.minute[l.cur], l.longest[l.cur] = m, 0
		l.next = (m + 1) * int64(time.Minute)
	} else if ns < l.next-int64(time.Minute) {
		return // a late event's: its minute has passed
	}
	l.longest[l.cur] = max(l.longest[l.cur], gap)
}

// longestSince returns the longest lull that ended within LullMinutes
// before at (the minute of at included).
func (l *lulls) longestSince(at time.Time) time.Duration {
	now := at.Unix() / 60
	var g int64
	for i := range l.minute {
		if m := l.minute[i]; m <= now && m >= now-LullMinutes {
			g = max(g, l.longest[i])
		}
	}
	return time.Duration(g)
}

// wait reports, for a drop rule silent since last (seen: it saw an event),
// whether the silence at at is still within factor times the site's
// longest lull of the minutes before (at most MaxLullWait), with why.
func (l *lulls) wait(at, last time.Time, seen bool, factor float64) (bool, string) {
	if !seen {
		return false, ""
	}
	g := l.longestSince(at)
	need := min(time.Duration(factor*float64(g)), MaxLullWait)
	if silence := at.Sub(last); silence < need {
		return true, fmt.Sprintf("silent for %v, under %g × the longest lull of the %d minutes before (%v)",
			silence.Round(time.Second), factor, LullMinutes, g.Round(time.Second))
	}
	return false, ""
}

// Lull is one minute's longest lull in a snapshot: the Unix minute it
// ended in, and its length in nanoseconds.
type Lull struct {
	Minute  int64 `json:"minute"`
	Longest int64 `json:"longest_ns"`
}

// snapshot returns the minutes that hold a lull, oldest first.
func (l *lulls) snapshot() []Lull {
	var out []Lull
	for i := range l.minute {
		if l.longest[i] > 0 {
			out = append(out, Lull{l.minute[i], l.longest[i]})
		}
	}
	slices.SortFunc(out, func(a, b Lull) int { return cmp.Compare(a.Minute, b.Minute) })
	return out
}

// restore sets the lulls from a snapshot's, the newest minute last; a
// lull not above 0 is none.
func (l *lulls) restore(s []Lull) {
	*l = lulls{}
	for _, x := range s {
		if x.Longest <= 0 {
			continue
		}
		l.note(x.Minute*int64(time.Minute), x.Longest)
	}
}
