package detector

import (
	"fmt"
	"math"
	"time"
)

// learned is the normal a baseline rule learns in place of a fixed
// threshold: an exponentially weighted mean and variance of the rule's
// value at each of its bucket boundaries. It works over any kind's value
// (a rate, a distinct count).
type learned struct {
	cfg *Baseline
	// recent, for a drop rule, is its own values of the last minutes
	// (the gate beside the normal's floor; see threshold), which does not
	// hold while the rule fires (firing, set by the rule before each
	// threshold).
	recent *recentValues
	firing bool
	// lulls, for a drop rule with LullFactor, is its longest lulls of the
	// last minutes; last and seen its last event's time and whether it saw
	// one, set by the rule before each threshold.
	lulls  *lulls
	last   time.Time
	seen   bool
	window time.Duration // the rule's window: values before it has filled are partial
	// poisson: the value is a rate of events, whose counting noise
	// (Poisson) bounds the spread from below over the window; else a count,
	// whose noise is its square root.
	poisson bool
	// partial: the value over part of the window is learned before the
	// window has filled (see learnFrom): a rate scaled to the whole window
	// (the events over the time they took), a distinct count as it is.
	partial bool
	// share, when set, makes the value a share of the events it counts
	// (a ratio), whose noise is binomial.
	share func() uint64
	// ordinary, when set (Baseline.WarmupShare), reports whether the
	// window's events are a share of their evidence's events that people
	// make by themselves: the warm-up floor is held back meanwhile.
	ordinary func() bool
	// evidenced, when set (Baseline.ShareFloor), reports whether the
	// evidence's share holds over the window: the share floor is the floor
	// meanwhile.
	evidenced func() bool
	// outsized, when set (with ordinary), reports whether the rule's
	// events over the window are an outsized share of all the requests
	// (see allCounts): the evidence's share is stuffing's then, whether or
	// not people's was learned.
	outsized func() bool
	// traffic, when set (Baseline.FollowTraffic), returns every event the
	// engine counted over the rule's window (all the requests), and
	// whether the count covers the window; tmean is their learned normal,
	// over tn values; tlast the latest count that covered the window,
	// which stands for it while the count does not (resumed from a
	// snapshot: a rule would otherwise forget the traffic for part of a
	// window after each restart). tcur is the scale of the boundary being
	// evaluated (see moveScale), tep the scale an episode began with (0:
	// the rule is inactive); tfresh says tlast was counted at this
	// boundary, for learn.
	traffic          func() (float64, bool)
	tmean, tn, tlast float64
	tcur, tep        float64
	tfresh           bool
	// daily, when set (Baseline.RecurringDaily), keeps each five minutes'
	// highest value over the last day.
	daily *dailyPeaks

	init bool
	// dip is what a drop rule with WarmupFactor learned under its floor
	// in its warm-up (see YoungDip).
	dip YoungDip
	// people: a value was learned while the rule's events were a share of
	// their evidence's that people make (Baseline.WarmupShare, with
	// ShareFloor): the share's sign may be told from them (see threshold).
	people bool
	// blind is how long after the log's first line the rule's events
	// cannot all be told yet (a match on no_pause: nothing is hasty in
	// the first coldWindow): learning starts after it, so that what comes
	// then is not taken for a rise from nothing.
	blind    time.Duration
	n        float64 // values learned
	mean, vr float64
	alpha    float64 // weight of a new value, from the half-life and the bucket width
}

func newLearned(b *Baseline, window, tick time.Duration, poisson, partial bool) *learned {
	l := &learned{cfg: b, window: window, poisson: poisson, partial: poisson || partial,
		alpha: 1 - math.Exp2(-float64(tick)/float64(b.HalfLife))}
	if b.RecurringDaily {
		l.daily = &dailyPeaks{}
	}
	if b.Down {
		l.recent = newRecentValues(window)
	}
	if b.LullFactor > 0 {
		l.lulls = &lulls{}
	}
	return l
}

// recurs returns the level a rule that knows what recurs daily
// (Baseline.RecurringDaily) is held to at at: RecurFactor times the
// highest value it reached within an hour of that time of day the day
// before; 0 for another rule, or when it reached nothing then.
func (l *learned) recurs(at time.Time) float64 {
	if l.daily == nil {
		return 0
	}
	return RecurFactor * l.daily.yesterday(at)
}

// threshold returns the level the value is compared with at a boundary,
// from the learned normal; ready is false during the warm-up, before
// anything was learned, and for a drop rule whose normal is under its
// floor, with why saying so.
//
// The warm-up runs for Warmup from start, and at least half of it after
// learning starts (see [learned.learnFrom]): a rule whose window is as long
// as its warm-up (an hourly count) would otherwise end it with one value
// learned, and learn a drip starting then as its normal.
//
// While the evidence's share holds (Baseline.ShareFloor), once people's
// failures were learned without it, the warm-up floor is the floor the
// normal would have (the share floor): nearly every log-in failing, where
// people's did not, is stuffing, and a sentinel started minutes before an
// attack would otherwise hold it to the warm-up floor. A site whose log-in
// posts "fail" from the first line on (a JSON log-in answering 200 on
// success, which the form matcher reads as the form re-rendered) keeps
// the warm-up floor: its share holds for people too.
func (l *learned) threshold(at, start time.Time) (th float64, ready bool, why string) {
	b := l.cfg
	floor := b.WarmupFloor > 0 && !b.Down && (l.ordinary == nil || !l.ordinary())
	warmFloor := b.WarmupFloor
	if floor && l.evidenced != nil && (l.people || l.outsized != nil && l.outsized()) && l.evidenced() {
		warmFloor = l.floor()
	}
	if !l.init {
		if floor {
			return max(warmFloor, l.floor()), true, ""
		}
		return math.Inf(1), false, "warm-up: nothing learned yet"
	}
	th = l.level()
	// In the warm-up, that is what keeps it from deciding (a drop rule's
	// normal under its floor may yet climb past it as it learns).
	if left := l.warmup() - at.Sub(start); left > 0 {
		// Held back with the warm-up floor while the events are people's
		// (warmup_share).
		young := b.WarmupFactor > 0 && !b.Down && at.Sub(start) >= l.learnFrom()+l.window &&
			(l.ordinary == nil || !l.ordinary())
		switch {
		case b.Down && b.WarmupFactor > 0 && l.dip.decides(at, l.window) &&
			l.mean >= b.Floor && at.Sub(start) >= l.learnFrom()+DownYoungWindows*l.window:
			return min(th, l.mean/b.WarmupFactor), true, ""
		case floor && young:
			return max(th, min(warmFloor, l.mean*b.WarmupFactor)), true, ""
		case floor:
			return max(th, warmFloor), true, ""
		case young:
			return max(th, l.mean*b.WarmupFactor), true, ""
		}
		return th, false, "warm-up: " + left.Round(time.Second).String() + " left"
	}
	if b.Down && l.mean < b.Floor {
		return th, false, fmt.Sprintf("baseline %.3g under the floor %.3g: too little traffic to miss", l.mean, b.Floor)
	}
	// The minutes before the window (which a stop empties) at the floor
	// too, where the normal lags them (under 60% of it): a normal learned
	// at an hour's half-life lags a steep evening. Not while the rule
	// fires: a dead log's minutes would end its alert.
	if r := l.recent; r != nil && !l.firing {
		lag := l.window.Truncate(time.Minute) + time.Minute
		if m, ok := r.gate(at, lag); ok && m < b.Floor && m < recentLag*l.mean {
			return th, false, fmt.Sprintf("the rate %.3g from %v to %v before, under the floor %.3g: too little traffic to miss",
				m, lag+9*time.Minute, lag, b.Floor)
		}
	}
	// A silence the site's own lulls of the last minutes come near is
	// no stop yet (LullFactor). Not while the rule fires.
	if l.lulls != nil && !l.firing {
		if wait, why := l.lulls.wait(at, l.last, l.seen, b.LullFactor); wait {
			return th, false, why
		}
	}
	return th, true, ""
}

// level is the threshold the learned normal sets, before any warm-up
// floor: the normal times the factor, or plus the sigmas, and at least the
// floor (for a drop rule: at most the normal divided by the factor).
func (l *learned) level() float64 {
	b := l.cfg
	// The spread is at least the counting noise of the mean, so that a
	// perfectly steady normal does not put the threshold on it.
	noise := math.Sqrt(max(l.mean, 0))
	switch {
	case l.share != nil:
		p := min(max(l.mean, 0), 1)
		noise = math.Sqrt(p * (1 - p) / float64(max(l.share(), 1)))
	case l.poisson:
		noise = math.Sqrt(max(l.mean, 0) / max(l.window.Seconds(), 1))
	}
	sd := max(math.Sqrt(l.vr), noise)
	if b.Down {
		th := math.Inf(1)
		if b.Factor > 0 {
			th = l.mean / b.Factor
		}
		if b.Sigmas > 0 {
			th = min(th, l.mean-b.Sigmas*sd)
		}
		return th
	}
	th := l.floor()
	scale := l.scale()
	if b.Factor > 0 {
		th = max(th, l.mean*b.Factor*scale)
	}
	if b.Sigmas > 0 {
		th = max(th, (l.mean+b.Sigmas*sd)*scale)
	}
	if l.share != nil {
		// At most halfway from the normal to every event: a normal
		// learned over windows of a few events each (a small site's
		// log-ins) has a spread that puts mean plus sigmas past 100%, and
		// no share, however plain (96% of 185 log-ins failing), would fire.
		// But never within the sigmas of the window's own counting noise:
		// halfway from a high normal (a forum whose log-in answers 200
		// either way: 88% "failing") is a few posts' chance away. Over a
		// normal of 70% or more, that puts 50 posts all failing past 100%:
		// a share that high says little, and a wave of more posts (the
		// noise shrinking with them) fires.
		p := min(max(l.mean, 0), 1)
		th = min(th, max(b.Floor, (1+p)/2, p+b.Sigmas*noise))
	}
	return th
}

// MaxTrafficScale is the most a rule that follows the traffic
// (Baseline.FollowTraffic) raises its normal by: a weekday's peak against
// a normal learned over a weekend and its nights is 2 to 4 times it. A
// flood of requests past that is an alert of its own, and does not hide a
// sign-up bot behind it for more.
const MaxTrafficScale = 4.0

// scale is the scale of the boundary being evaluated (see moveScale): 1
// when the rule does not follow the traffic.
func (l *learned) scale() float64 { return max(l.tcur, 1) }

// moveScale sets, at a boundary before it is evaluated, the scale of a
// rule that follows the traffic: how many times their learned normal the
// requests over the window are, at least 1 (fewer requests than normal do
// not lower the normal: a quiet night's sign-ups are held to the day's),
// at most MaxTrafficScale. While the rule is pending or firing (active),
// at most what its episode began with: the site's traffic rising while a
// bot goes on must not resolve it. While the count does not cover the
// window (resumed from a snapshot, under a quarter of a window later), the
// latest count that did stands for it. Only here, once a boundary, so
// that reading the threshold (a trace, a status page) changes nothing.
func (l *learned) moveScale(active bool) {
	if l.traffic == nil {
		return
	}
	now, ok := l.traffic()
	if ok {
		l.tlast = now
	} else {
		now = l.tlast
	}
	l.tfresh = ok
	l.tcur = 1
	if l.tn > 0 && l.tmean > 0 {
		l.tcur = min(max(now/l.tmean, 1), MaxTrafficScale)
	}
	if active && l.tep > 0 {
		l.tcur = min(l.tcur, l.tep)
	}
}

// learnTraffic folds the requests over the window (t) into their normal:
// every boundary the rule learns at, attack or not (a flood that lifts
// the normal only lowers the scale). Weighed as the rule's values are.
func (l *learned) learnTraffic(t float64) {
	l.tn++
	l.tmean += max(l.alpha, 1/l.tn) * (t - l.tmean)
}

// floor is the least threshold the normal may set: the floor, or the
// share floor while the evidence holds if it is lower.
func (l *learned) floor() float64 {
	if b := l.cfg; b.ShareFloor > 0 && b.ShareFloor < b.Floor && l.evidenced != nil && l.evidenced() {
		return b.ShareFloor
	}
	return l.cfg.Floor
}

// learn folds a boundary's value into the normal. A value past the
// threshold, or any value while the rule is pending or firing, is learned
// as the threshold: an attack teaches the baseline at most a slow rise,
// and one during the warm-up cannot become the normal either.
//
// Learning starts at learnFrom, and weighs the first values as a plain
// average, so that the warm-up ends with the mean of what it saw rather
// than a half-life's lag behind it.
func (l *learned) learn(v float64, st state, at, start time.Time) {
	if l.daily != nil {
		l.daily.note(v, at)
	}
	active := st != stateInactive
	if l.recent != nil && !active {
		l.recent.note(v, at)
	}
	switch {
	case l.traffic == nil:
	case !active:
		l.tep = 0
	case l.tep == 0:
		l.tep = l.scale() // the episode began at this boundary
	}
	elapsed := at.Sub(start)
	if elapsed < l.learnFrom() {
		return
	}
	if elapsed < l.window && l.poisson {
		// A rate over a window not yet full: the events so far over the
		// time they took, not over the whole window.
		v *= float64(l.window) / float64(elapsed)
	}
	if l.tfresh {
		// The count moveScale read at this boundary, when it covered the
		// window.
		t := l.tlast
		if elapsed < l.window {
			t *= float64(l.window) / float64(elapsed)
		}
		l.learnTraffic(t)
	}
	if l.cfg.Down && l.cfg.WarmupFactor > 0 && elapsed < l.warmup() {
		l.dip.note(v >= l.cfg.Floor, st, at)
	}
	// Nor is a value learned at all while the evidence's share holds
	// (Baseline.ShareFloor: nearly every log-in post failing) where
	// people's failures were learned without it, or where the rule's
	// events are an outsized share of all the requests (see threshold),
	// unless the rule is active
	// or the value crosses (then it is learned as the threshold, as any
	// attack's): a sentinel started a minute before slow stuffing would
	// otherwise learn its rate under the warm-up floor, at the warm-up's
	// full weight, as the normal, and the threshold would keep ahead of
	// it; and stuffing under the threshold for hours would lift the normal
	// it is judged by. Where the share holds from the start (see
	// threshold), the values are people's.
	evidenced := l.evidenced != nil && l.evidenced() && (l.people || l.outsized != nil && l.outsized())
	if l.evidenced != nil && l.ordinary != nil && l.ordinary() {
		l.people = true // under warmup_share of 20 or more posts: people's
	}
	if !l.init {
		// The first value learned, while an attack is under way (a sentinel
		// started during one, a new fleet): the normal that the threshold
		// the rule fired at stands for, not the attack's value.
		x := v
		if th, _, _ := l.threshold(at, start); !l.cfg.Down && l.cfg.Factor > 0 && !math.IsInf(th, 0) &&
			(active || crosses(v, th, false, true)) {
			x = th / l.cfg.Factor
		}
		l.init, l.mean, l.n = true, x, 1
		return
	}
	x := v
	// An attack is judged against the normal's own level, not the warm-up
	// floor: in the warm-up a rise under that floor (a drip's first posts)
	// would otherwise be learned at full weight, and its normal would climb
	// with it and keep ahead of it.
	th := l.level()
	attack := (active || crosses(v, th, l.cfg.Down, true)) && !math.IsInf(th, 0)
	if evidenced && !attack {
		return
	}
	if attack {
		x = th // even in warm-up: an attack then must not become the normal
	}
	// Nor may an attack teach the other direction: a flood must not lift
	// the normal a drop rule compares with (the site's ordinary traffic
	// would then look like a collapse), and an outage must not lower the
	// normal of a rise. A value is learned at most learnSpan times the
	// normal (or the floor, on a quiet site) and at least a learnSpan-th of
	// it: a lasting new level is still learned, geometrically. A rise
	// rule's normal on a quiet site may climb to learnSpan times its
	// floor at once. A drop rule's may not climb past its floor faster
	// than geometrically: on a site too quiet for the rule (its normal
	// under the floor), half an hour of a marketing blast would otherwise
	// lift the normal over the floor, and the site's ordinary quiet after
	// it would look like the log stopping.
	hi := max(l.mean, l.cfg.Floor) * learnSpan
	if l.cfg.Down {
		hi = max(l.mean*learnSpan, l.cfg.Floor)
	}
	x = min(max(x, l.mean/learnSpan), hi)
	// A rule that fires on what it learned so far (WarmupFactor) must not
	// learn a flood's first seconds at the warm-up's full weight either:
	// climbing to its level (a few seconds of a 1-minute window), they
	// would lift the young normal, and the threshold with it, ahead of the
	// flood. Past twice the normal, a value is learned at the half-life's
	// pace in the warm-up: a site's own traffic does not double within its
	// first half hour. On a site under the floor a crawler's minute does,
	// and is learned slowly too: the floor holds the threshold there.
	rising := l.cfg.WarmupFactor > 0 && !l.cfg.Down && elapsed < l.warmup() && x > 2*l.mean
	if attack || rising {
		// At the half-life's pace only: the warm-up's plain average would
		// give each of a long attack's values a weight of 1/n, and a
		// ten-minute flood in the first half hour would triple the normal.
		l.foldAt(x, l.alpha)
		return
	}
	l.fold(x)
}

// learnFrom is how long after the log's first line a baseline starts
// learning. A rate can be measured over part of its window (the events over
// the time they took) once a quarter of it has passed. A distinct count
// over part of its window is learned from then too, as it is: under the
// window's, so the normal starts low and climbs as the window fills, and
// the warm-up floor holds the threshold meanwhile. Waiting for the window
// to fill left the warm-up floor alone until then, and a busy site's
// ordinary count passes it (1,500 addresses failing to log in over 5
// minutes at 1,000 requests a second, against 1,000), while a first value
// learned past the floor is taken for an attack's. A share over part of a
// window is only part of one, and waits for the window to fill. Learning
// early matters for long windows too: an hourly rule that waited for its
// hour would learn for its warm-up only after it, blind meanwhile.
func (l *learned) learnFrom() time.Duration {
	if l.partial {
		return l.blind + l.window/4
	}
	return l.blind + l.window
}

// warmup is how long after the log's first line the warm-up ends.
func (l *learned) warmup() time.Duration {
	return max(l.cfg.Warmup, l.learnFrom()+l.cfg.Warmup/2)
}

// learnSpan is the most a learned value may differ from the normal, as a
// factor (see [learned.learn]).
const learnSpan = 3.0

// DownYoungWindows is how many of its windows a drop rule with
// WarmupFactor waits after it begins learning, every value it learns at
// its floor or more, before it decides in its warm-up: for log-stops' 30
// s, ten minutes of a site that never went under a request a second,
// whose normal sentinel need not wait an hour for to tell the log
// stopping. A site started in a lull, or one whose traffic comes and goes
// (a crawler's visit on a quiet site), waits for the warm-up's end.
const DownYoungWindows = 20

// YoungDip is what a drop rule with WarmupFactor learned under its floor
// in its warm-up, kept in a state snapshot. A fall that goes on is the
// log stopping: its values pass the floor before the young threshold, up
// to a window before, and the rule decides on it while it is pending or
// firing. One the traffic comes back from before the rule fired is a
// lull (a site near the floor, a crawler's visit ending on a quiet site):
// the rule waits for its warm-up's end then.
type YoungDip struct {
	From   time.Time `json:"from,omitzero"`    // since when the values learned are under the floor; zero: they are not
	Active bool      `json:"active,omitempty"` // the rule was pending or firing during this dip
	Fired  bool      `json:"fired,omitempty"`  // it fired during this dip: the traffic coming back is the log's, not a lull's end
	Lull   bool      `json:"lull,omitempty"`   // a dip ended before the rule fired: no young decision for the rest of the warm-up
}

// note records a value learned at at, over the floor or not, the rule
// being in state st after it.
func (d *YoungDip) note(over bool, st state, at time.Time) {
	if over {
		d.Lull = d.Lull || !d.From.IsZero() && !d.Fired
		*d = YoungDip{Lull: d.Lull}
		return
	}
	if d.From.IsZero() {
		d.From = at
	}
	d.Active = d.Active || st != stateInactive
	d.Fired = d.Fired || st == stateFiring
}

// decides reports whether the rule may decide on its young normal at at:
// no lull so far, and any dip under way younger than a window or one the
// rule is pending or firing on.
func (d *YoungDip) decides(at time.Time, window time.Duration) bool {
	return !d.Lull && (d.From.IsZero() || d.Active || at.Sub(d.From) <= window)
}

// skipped folds n boundaries that the engine skipped while every rule was
// idle: each would have learned a value of 0.
func (l *learned) skipped(n int64) {
	if !l.init || n <= 0 {
		return
	}
	for range min(n, 100_000) { // past that the mean is as good as 0
		l.fold(0)
		if l.tn > 0 {
			l.learnTraffic(0)
		}
	}
}

func (l *learned) fold(x float64) {
	l.n++
	l.foldAt(x, max(l.alpha, 1/l.n))
}

// foldAt folds x into the mean and variance with weight alpha.
func (l *learned) foldAt(x, alpha float64) {
	d := x - l.mean
	l.mean += alpha * d
	l.vr = (1 - alpha) * (l.vr + alpha*d*d)
}

// idle reports whether a drop rule can change nothing without an event:
// when it fires already, or when its normal is under the floor (a quiet
// night is not a drop).
func (l *learned) idle(st state) bool {
	if !l.cfg.Down {
		return st == stateInactive
	}
	return st == stateFiring || st == stateInactive && l.mean < l.cfg.Floor
}

// spread is the learned standard deviation.
func (l *learned) spread() float64 { return math.Sqrt(l.vr) }

// attackClock keeps when a rule that looks up (a flood's, a spike's, a
// failure rule's) was last active, for the rules that look down: a drop
// rule in its warm-up does not learn while one is active, nor until its
// window has left that time behind, since the traffic then is the
// attack's. Started during a flood (the founding story's 240 sign-ups a
// second on a site of 0.2 requests a second), a drop rule learned the
// flood as the site's normal, a plain average through its warm-up that
// the 3× bound cannot hold yet (there is no normal to bound it by), and
// the site's own traffic afterwards looked like a collapse: a critical
// page every hour for a day. Once warm, the bound holds an attack off.
type attackClock struct {
	last int64 // Unix ns of the latest boundary (or event) at which one was active; 0: never
}

// watch points the rules that look down at c.
func (c *attackClock) watch(rules []*ruleState) {
	for _, r := range rules {
		if r.down() {
			r.attack = c
		}
	}
}

// note records, after r was evaluated at ns (or fired on an event at ns),
// whether an attack is alerted: a site-wide rate or distinct count that
// looks up (a flood's, a spike's) is active. A share (5xx) or a per-key
// rule (one client, one endpoint) says nothing of the site's volume, and
// may fire for hours (a monitor probing a broken endpoint).
func (c *attackClock) note(r *ruleState, ns int64) {
	if r.state != stateInactive && !r.down() && !r.rule.PerKey && (r.rule.Type == Rate || r.rule.Type == Distinct) {
		c.last = max(c.last, ns)
	}
}

// attackMargin is how much longer than its window a drop rule waits after
// an attack: the rules that look up are evaluated at their own
// boundaries, up to a bucket apart.
const attackMargin = time.Minute

// holds reports whether r, a rule that looks down, is to skip learning at
// at: in its warm-up (or, having learned nothing, up to attackHoldMax
// warm-ups from its start, so that one that alerts without end cannot
// keep a drop rule unready for good), while an attack is alerted or its
// window still holds some of it. A nil c holds nothing.
func (c *attackClock) holds(r *ruleState, at time.Time) bool {
	if c == nil || c.last == 0 || at.UnixNano()-c.last >= int64(r.rule.Window+attackMargin) {
		return false
	}
	elapsed, warmup := at.Sub(r.start), r.base.warmup()
	return elapsed < warmup || !r.base.init && elapsed < attackHoldMax*warmup
}

// attackHoldMax bounds, in warm-ups, how long a drop rule that learned
// nothing waits for the attacks to end.
const attackHoldMax = 4
