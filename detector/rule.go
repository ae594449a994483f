package detector

import (
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// Type names a detector: what a rule measures over its window.
type Type string

// Detector types.
const (
	// Rate is matching events per second over the window.
	Rate Type = "rate"
	// Distinct is the number of distinct values of a field over the window
	// (HyperLogLog).
	Distinct Type = "distinct"
	// Ratio is the share of the window's matching events that also pass
	// the rule's Of filter (5xx among all requests), from 0 to 1.
	Ratio Type = "ratio"
	// Absence fires when no matching event came for the whole window,
	// after at least one did: the events it expects have stopped.
	Absence Type = "absence"
)

// Baseline makes a Rate or Distinct rule compare its value with what it
// learned was normal instead of a fixed threshold: an exponentially
// weighted mean and variance of the value at each bucket boundary. While
// the rule fires, and for values above its threshold, it learns the
// threshold instead of the value, so that an attack does not teach it
// that the attack is normal; a lasting new level is still learned,
// gradually.
type Baseline struct {
	// Factor: fire at Factor times the mean (or, Down, at the mean divided
	// by Factor). 0: not used.
	Factor float64
	// Sigmas: fire at the mean plus Sigmas standard deviations (Down:
	// minus). 0: not used.
	Sigmas float64
	// Floor: going up, the value must reach at least Floor, so that a
	// near-zero normal does not page at two events; going down, the mean
	// must be at least Floor, so that a quiet night is not a drop.
	Floor float64
	// Warmup is how long the rule learns before it may fire, from the
	// engine's first event (in a replay, the log's first minutes).
	Warmup time.Duration
	// WarmupFloor, when set, lets a rising rule fire during its warm-up at
	// this value (or at the floor, or above what it learned so far, if
	// higher): high enough that no
	// site's ordinary traffic reaches it, so that an attack in the first
	// minutes is not missed while the normal is learned. 0: no firing
	// during the warm-up.
	WarmupFloor float64
	// WarmupFactor, when set, lets a rule going up fire during its warm-up,
	// once a whole window's values are learned, at this factor times the
	// normal learned so far (at least the level the normal sets): a margin
	// wider than Factor's, since the first minutes' normal is young, that a
	// site's own traffic does not cross within its first half hour (a
	// day's ramp is 4 times over 12 hours), where an L7 flood under way a
	// minute after sentinel started multiplies it. With WarmupFloor too,
	// the lower of the two. On a drop rule, it fires under the normal
	// learned so far divided by this factor, DownYoungWindows windows after
	// it began learning, while every value learned was at the floor or
	// more (see YoungDip; a site busy from the first line: the log stopping
	// ten minutes after sentinel started). 0: not used.
	WarmupFactor float64
	// LullFactor, on a drop rule, holds it back until the silence (the
	// time since its last event) is this many times the longest lull the
	// rule saw in the 10 minutes before (the longest time between two of
	// its events that followed each other there, the lulls while it fired
	// left out), at most MaxLullWait: a silence a site's own quiet minutes
	// already hold is no stop. A site whose visits come apart as its
	// evening falls has lulls of 20 or 30 s; a log that stops on a busy
	// site had lulls of a second or two. 0: not used.
	LullFactor float64
	// WarmupShare, with WarmupFloor and an evidence share (critical_when's
	// share: failed log-ins among log-in posts), holds the warm-up floor
	// back while the rule's events are under this share (0 to 1) of the
	// share's events in the window, with at least minEvidenceEvents of
	// those: people mistyping their passwords (10–25% of log-ins fail), on
	// a site busy enough that their failures alone pass the floor (1,500
	// requests a second: 9 a second against 8). Meanwhile the rule learns
	// as one without a warm-up floor: the value is the site's normal, not
	// an attack's, and nothing fires until the warm-up ends. 0: not used.
	WarmupShare float64
	// ShareFloor, with an evidence share (critical_when's share: failed
	// log-ins among log-in posts), is the floor in Floor's place once the
	// warm-up is over, while the evidence holds: the rule's events at least
	// its at_least share of the share's events in the window, with at least
	// minEvidenceEvents of those. People fail 10–25% of their log-ins; when
	// nearly every one fails, from ten different addresses, it is stuffing
	// however slow, and a small site's floor (30 addresses in 5 minutes)
	// would only see a slow wave after a minute and a half. The learned
	// normal times the factor still holds above it. It only lowers: at or
	// above Floor it does nothing (a floor raised by replay --suggest
	// leaves it behind). 0: not used.
	ShareFloor float64
	// KeyOrdinaryShare, for a per-key rule with an evidence share
	// (critical_when's share: failed log-ins among log-in posts), leaves
	// out a key whose events are under this share (0 to 1) of its own
	// share.of events in the window, with at least minEvidenceEvents of
	// those: an office's people logging in at nine through one address
	// fail 10–25% of their log-ins, a brute-forcer nearly all of his.
	// 0: not used.
	KeyOrdinaryShare float64
	// KeyShare, for a per-key rule, also holds each key to this share
	// (0 to 1) of all the rule's events in the window: on a busy site an
	// office's or a carrier's NAT carries a few per cent of the requests,
	// more than the floor, and is no flood until it carries a share no
	// single address does. A key whose share of the window's newest
	// quarter is already past it is not held to it (an address flooding
	// for 10 s is a sliver of a minute of the site). 0: no such limit.
	KeyShare float64
	// OneAgentIsClient, with KeyShare, spares from the share a key whose
	// requests over the window are one program's (at least 20 of them
	// looked at, its 3rd, 5th, 9th, 17th… in a bucket): all carried one
	// user agent, or at least half were answered 4xx (a scanner that draws
	// a new user agent for each request asks mostly for what is not
	// there; a native app's refusals are its users'). Held to the floor
	// and its own normal alone, where the people behind a NAT use several
	// browsers and apps and get their pages. A request looked at without
	// a user agent is not one agent, and a bucket whose requests were not
	// looked at (restored from a snapshot) makes the answer no.
	OneAgentIsClient bool
	// FollowTraffic, on a rule going up over the whole site, moves the
	// normal with the site's traffic: the rule also learns how many
	// events of every kind (all the requests) its window holds, and while
	// they are above their own normal the learned normal rises with them,
	// by at most MaxTrafficScale. A weekday's sign-ups after a quiet
	// weekend, a campaign's visitors, a day's peak against a normal
	// learned over nights: the sign-ups per request are the site's own,
	// however many requests there are. The floor does not move: a month's
	// sign-ups in an hour on a quiet site still pass it. False: the normal
	// is the rule's own alone.
	FollowTraffic bool
	// RecurringDaily, on a rule going up over the whole site, remembers
	// the highest value of each five minutes of the last day: a rise within an
	// hour of the time of day it came the day before, and at most
	// RecurFactor times as high, is the site's own (a nightly job on the
	// host, a daily import) and does not fire; the first day's does. See
	// dailyPeaks.
	RecurringDaily bool
	// HalfLife is how fast the baseline forgets: an hour-old value weighs
	// half as much as a new one when HalfLife is an hour.
	HalfLife time.Duration
	// Down watches for a drop below normal instead of a rise.
	Down bool
}

// Rule is one compiled rule: which events count, how they are measured,
// and when that fires. The config package maps YAML onto it (checking
// only the words and units a config writes, such as a severity, a
// detector type or "20/s"); what the rule means is checked in one place,
// [Rule.Problems], which the engine runs on every rule and config reports
// at file:line.
type Rule struct {
	Name        string
	Description string
	Severity    alert.Severity

	// Title names what the rule counts, in a word or two for a headline
	// ("Sign-ups", "Failed log-ins"); empty: the rule's name.
	Title string

	// Match selects the events the rule counts; nil counts every event.
	Match Cond

	Type   Type
	Window time.Duration
	// Threshold is in the detector's unit: events per second for Rate,
	// distinct values for Distinct.
	Threshold float64
	// PerKey makes a Rate rule compare the busiest GroupBy key's rate,
	// not the total, with Threshold (fail2ban's maxretry/findtime, sliding).
	PerKey bool
	// Field is the field a Distinct rule counts.
	Field *Field
	// BeyondBusiest, for a per-key Rate rule, leaves out each key's
	// busiest value of this field: network-flood (group_by client_net,
	// beyond client_ip) counts a network's requests from its addresses
	// other than the busiest one, so that one busy address (an office's
	// NAT alone in its /24) is a client, for the per-client rule, and a
	// scraper rotating through the network's addresses is still counted.
	BeyondBusiest *Field
	// Of is the filter of a Ratio rule's numerator: the share is of the
	// events passing Match that also pass Of.
	Of Cond
	// MinEvents is the fewest events in the window for a Ratio rule to
	// fire: three requests at night, two of them errors, are not a surge.
	MinEvents uint64
	// Chance, for a Ratio rule with a threshold (not a baseline), holds
	// back a window whose hits come by chance at least this often at the
	// rule's own normal share of hits, learned over a day (see
	// shareNormal): a slow site's ordinary 504s, 3 of a quiet minute's 6,
	// are not an outage there, where they are on a site that fails one
	// request in 300. Site-wide, a client's clustered hits count as one
	// up to the size the site's clusters reach often (clusterSet); per
	// key, each key is held to its own share (keyShares) and the chance is
	// shared among the keys tested. 0: no such test.
	Chance float64
	// MinSpan, for a Rate rule over a long window, is the shortest stretch
	// of time the events that make it fire must span: each bucket counts
	// at most its share of the threshold (threshold × bucket / (MinSpan +
	// 2 buckets), rounded up to a whole event: a burst spanning MinSpan
	// exactly, in whatever buckets it falls, stays under the threshold
	// with a bucket's share to spare, so that the ordinary events after it
	// do not complete it an hour later; the rounding may eat that margin
	// on a small threshold, 20 an hour in 30 s buckets),
	// so that an hourly drip rule counts a slow bot's posts whole and a
	// minute's flood as a few of them, neither firing with every flood nor
	// holding the flood's incident open for the hour its window keeps it.
	// A flood is the burst rules'. 0: no such cap.
	MinSpan time.Duration
	// YieldTo, with MinSpan, names the burst rules over the same events: a
	// bucket in which this rule sees one of them firing counts nothing (the
	// events it had counted are taken back), since what those rules page
	// for is theirs. The cap alone counts a long burst as a drip of one
	// event a bucket: a brute force of 5 minutes from one address fills 10
	// of an hour's 30-second buckets, as a drip of 10 tries does, and would
	// fire an hourly drip rule with the attack, or at the end of its
	// warm-up after it. A burst that no rule named fires on (too slow, too
	// few addresses, in bunches) is still counted: the drip rule is then
	// what sees it. Names of rules the engine does not have are skipped.
	YieldTo []string
	// Baseline, when set, replaces Threshold by a learned normal.
	Baseline *Baseline

	// GroupBy names the field whose top values (the top offenders) the
	// alert carries. Nil: no top offenders.
	GroupBy *Field
	// DistinctOf, when set, makes a Rate rule's alert also say how many
	// distinct values of this field the window saw ("from 4,812 IPs").
	DistinctOf *Field

	// Evidence, when set, raises the alert to critical when signs of a bot
	// hold over the window; Severity is then what volume alone gets.
	Evidence *Evidence

	// Fleet marks a rule that a fleet of sentinels evaluates over all the
	// nodes' logs together: the engine hands over what it counts in each
	// bucket (Options.Delta), and one node evaluates it over the shared
	// windows ([Remote]).
	Fleet bool

	// For is how long the condition must hold before the rule fires.
	For time.Duration
	// KeepFiringFor is how long a firing rule's value must stay clear
	// (under Threshold*Clear) before it resolves: a busy NAT or an office
	// arriving at nine crosses and clears a per-client limit every minute
	// or two, and without it each crossing is a page and a resolution. 0:
	// it resolves at the first boundary its value is clear.
	KeepFiringFor time.Duration
	// Clear is the hysteresis: a firing rule resolves when its value drops
	// below Threshold*Clear. 0 means [DefaultClear].
	Clear float64

	// Fingerprint identifies the rule's definition (the config sets it from
	// the rule's text): a snapshot's state is restored only into a rule with
	// the same name and fingerprint, so a reload keeps the windows of the
	// rules it did not change.
	Fingerprint string
}

// DefaultClear is the hysteresis ratio used when a rule sets none: a rule
// that fired at 20/s resolves below 16/s, so a rate hovering at its
// threshold does not flap.
const DefaultClear = 0.8
