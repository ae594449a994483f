package alerts

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
)

// Defaults of [GroupOptions].
const (
	// DefaultGroupWait is how long an incident gathers its rules before its
	// first notification: a sign-up flood raises signup-burst on the post
	// that crosses its threshold and the rules that learn the site's normal
	// a few seconds later.
	DefaultGroupWait = 10 * time.Second
	// DefaultGroupInterval is the least time between two notifications of
	// an incident's changes.
	DefaultGroupInterval = time.Minute
	// MinOverlap is the least overlap of two rules' matching events
	// (shared over either's, see detector.Engine.Overlap) that makes them
	// one incident.
	MinOverlap = 0.5
)

// Inhibition makes Target, when it fires while Source fires, join
// Source's incident without paging, whatever their events.
type Inhibition struct {
	Source, Target string
}

// GroupOptions configure a [Grouper]. Durations are on the clock the
// caller passes to [Grouper.Due]: the daemon's is the log's (event time,
// moved on by the wall clock while the logs are quiet).
type GroupOptions struct {
	// Wait is how long an incident gathers rules before its first
	// notification (Alertmanager's group_wait); 0 means DefaultGroupWait.
	Wait time.Duration
	// Interval is the least time between two notifications of an
	// incident's changes (group_interval); 0 means DefaultGroupInterval.
	Interval time.Duration
	// RemindEvery re-sends an incident still firing, with its measures of
	// the moment, this long after its last notification; 0: never.
	RemindEvery time.Duration
	// Overlap tells how much the matching events of rules a and b
	// overlapped since a started firing, from 0 to 1
	// (detector.Engine.Overlap): a rule firing while an incident is open
	// joins it when it overlaps one of its firing rules by MinOverlap or
	// more. Nil: rules join by Groups and Inhibit only.
	Overlap func(a, b string) float64
	// Groups gives rules a group label: a rule joins an open incident that
	// holds a rule of its label, whatever their events.
	Groups map[string]string
	// Inhibit lists the rules that join, quietly, the incident of another
	// that fires.
	Inhibit []Inhibition
	// Site and Labels go on every notification.
	Site   string
	Labels map[string]string
	// Order is the rules' order in the config: among an incident's rules
	// of the same state and severity, the first listed leads its
	// notification (its headline), whichever crossed first. Rules it
	// lacks come after, in the order they joined.
	Order map[string]int
}

// Grouper turns alert transitions into notifications, one incident at a
// time, on the Alertmanager model sized for one daemon: the rules of one
// incident — those firing while it is open whose matching events overlap,
// that share a group label, or that an inhibition joins — go out as one
// notification, Wait after the first fired, listing every rule with its
// severity and its measure at that moment (not at its transition: a rule
// fires on the event that crosses its threshold, long before the attack
// reaches its full size); rules joining later go out as an update at most
// every Interval, quietly unless one is more severe than those told; one
// resolution when all have resolved (and stayed so for Wait, so a flap is
// no new page); a reminder every RemindEvery while it fires.
//
// A Grouper does no I/O and reads no clock: [Grouper.Add] takes each
// transition, [Grouper.Due] the time, and measures come from the caller.
// It is not safe for concurrent use; the daemon calls it under the lock
// that guards its engine.
type Grouper struct {
	opts       GroupOptions
	open       []*OpenIncident
	nextSample time.Time // when the firing rules are measured next
}

// OpenIncident is an incident a [Grouper] follows, as the daemon saves it
// with its state.
type OpenIncident struct {
	Key   string    `json:"key"`
	Since time.Time `json:"since"`
	// Members are the incident's rules, in the order they joined.
	Members []Member `json:"members"`
	// Sent counts the notifications sent; LastSent is the time of the last.
	Sent     int       `json:"sent"`
	LastSent time.Time `json:"last_sent,omitzero"`
	// ResolvedAt is when its last rule resolved; zero while one fires.
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	Reminders  int       `json:"reminders,omitempty"`
	// NoReminders says that someone asked for no more reminders of it (a
	// link's "stop reminders"); its updates and resolution still go out.
	NoReminders bool `json:"no_reminders,omitempty"`
	// New are the rules joined or raised to critical since the last
	// notification (Raised names the latter); Escalated says one of them
	// is more severe than any told so far.
	New       []string `json:"new,omitempty"`
	Raised    []string `json:"raised,omitempty"`
	Escalated bool     `json:"escalated,omitempty"`
}

// Member is one rule of an [OpenIncident]: its latest transition, with the
// measures taken since.
type Member struct {
	Alert     alert.Alert `json:"alert"`
	Firing    bool        `json:"firing"`
	Inhibited bool        `json:"inhibited,omitempty"`
	Told      bool        `json:"told,omitempty"`
	// PeakNow is the highest rate now (or value) measured while it fired,
	// and PeakDistinct the highest distinct count: what the resolution
	// says it peaked at.
	PeakNow      float64 `json:"peak_now,omitempty"`
	PeakDistinct uint64  `json:"peak_distinct,omitempty"`
}

// NewGrouper returns a Grouper with opts' defaults filled in.
func NewGrouper(opts GroupOptions) *Grouper {
	if opts.Wait <= 0 {
		opts.Wait = DefaultGroupWait
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultGroupInterval
	}
	return &Grouper{opts: opts}
}

// Add takes one transition of a rule, at its event time.
func (g *Grouper) Add(a alert.Alert) {
	a.Incident, a.Reminder = nil, 0
	inc, i := g.member(a.Rule)
	if a.State == alert.Resolved {
		if inc == nil {
			// A rule that fired before this grouper existed (a restart
			// whose state held no incident): its resolution is not lost.
			inc = g.openIncident(a)
			inc.Members[0].Told, inc.Sent, inc.LastSent = true, 1, a.Since
		} else {
			if a.DistinctOf == "" { // what it peaked at was measured of that field
				a.DistinctOf = inc.Members[i].Alert.DistinctOf
			}
			inc.Members[i].Alert = a
		}
		m := &inc.Members[slices.IndexFunc(inc.Members, func(m Member) bool { return m.Alert.Rule == a.Rule })]
		m.Firing = false
		m.noteNow()
		if !slices.ContainsFunc(inc.Members, func(m Member) bool { return m.Firing }) {
			inc.ResolvedAt = a.Time
		}
		return
	}
	if inc != nil && a.Escalated && inc.Members[i].Firing {
		// Raised to critical while firing: an update, which pages when
		// the incident told nothing as severe before.
		told := inc.toldSeverity()
		m := &inc.Members[i]
		m.Alert = a
		m.Alert.Escalated = false // the incident's notifications say it in Raised
		m.noteNow()
		if inc.Sent > 0 {
			if !slices.Contains(inc.New, a.Rule) {
				inc.New = append(inc.New, a.Rule)
			}
			if !slices.Contains(inc.Raised, a.Rule) {
				inc.Raised = append(inc.Raised, a.Rule)
			}
			if !m.Inhibited && severityRank(a.Severity) > told {
				inc.Escalated = true
			}
		}
		return
	}
	if inc != nil { // fires again before its incident closed: a flap, no new page
		m := &inc.Members[i]
		m.Alert, m.Firing = a, true
		m.noteNow()
		inc.ResolvedAt = time.Time{}
		return
	}
	home, inhibited := g.home(a)
	if home == nil {
		g.openIncident(a)
		return
	}
	m := Member{Alert: a, Firing: true, Inhibited: inhibited}
	m.noteNow()
	if home.Sent > 0 {
		home.New = append(home.New, a.Rule)
		if !inhibited && severityRank(a.Severity) > home.toldSeverity() {
			home.Escalated = true
		}
	}
	home.Members = append(home.Members, m)
	home.ResolvedAt = time.Time{}
}

// Adopt takes a rule firing whose first notification another daemon
// sent (a fleet's evaluator that died: see package fleet): it opens an
// incident for it, marked told, so that its updates, reminders and
// resolution follow without a second first page. It returns that
// incident's notification as it would have been sent, for
// [Dispatcher.Adopt], and false when the rule is in an open incident
// already.
func (g *Grouper) Adopt(a alert.Alert) (alert.Alert, bool) {
	if inc, _ := g.member(a.Rule); inc != nil || a.State != alert.Firing {
		return alert.Alert{}, false
	}
	a.Incident, a.Reminder, a.Escalated = nil, 0, false
	inc := &OpenIncident{Key: fmt.Sprintf("%s@%d", a.Rule, a.Since.Unix()), Since: a.Since,
		Members: []Member{{Alert: a, Firing: true, Told: true}}}
	inc.Members[0].noteNow()
	first := g.view(inc, a.Time, alert.Firing, 0, false)
	inc.Sent, inc.LastSent = 1, a.Time
	g.open = append(g.open, inc)
	return first, true
}

// Release lets go of rules that fire in open incidents but are now
// another daemon's to follow (a fleet's evaluator whose lease passed to
// another node: see package fleet): they leave their incidents without a
// resolution, which the daemon that follows them now sends. A rule that
// fires again later here is then a new incident, with its own first page,
// not a flap of the old one. A member already resolved stays: its
// resolution is this grouper's to send. It returns how many members left,
// and the keys of the incidents left with no member, closed without a
// notification, for [Dispatcher.Forget].
func (g *Grouper) Release(rules []string) (left int, closed []string) {
	keep := g.open[:0]
	for _, inc := range g.open {
		released := func(m Member) bool { return m.Firing && slices.Contains(rules, m.Alert.Rule) }
		if !slices.ContainsFunc(inc.Members, released) {
			keep = append(keep, inc)
			continue
		}
		n := len(inc.Members)
		inc.Members = slices.DeleteFunc(inc.Members, released)
		left += n - len(inc.Members)
		gone := func(r string) bool {
			return !slices.ContainsFunc(inc.Members, func(m Member) bool { return m.Alert.Rule == r })
		}
		inc.New, inc.Raised = slices.DeleteFunc(inc.New, gone), slices.DeleteFunc(inc.Raised, gone)
		if len(inc.Members) == 0 {
			closed = append(closed, inc.Key)
			continue
		}
		if len(inc.New) == 0 {
			inc.Escalated = false
		}
		if !inc.firing() && inc.ResolvedAt.IsZero() {
			// What is left resolved before: the incident resolves as of the
			// last of them.
			for _, m := range inc.Members {
				inc.ResolvedAt = latest(inc.ResolvedAt, m.Alert.Time)
			}
		}
		keep = append(keep, inc)
	}
	clear(g.open[len(keep):])
	g.open = keep
	return left, closed
}

// openIncident starts an incident with a.
func (g *Grouper) openIncident(a alert.Alert) *OpenIncident {
	inc := &OpenIncident{Key: fmt.Sprintf("%s@%d", a.Rule, a.Time.Unix()), Since: a.Time,
		Members: []Member{{Alert: a, Firing: a.State == alert.Firing}}}
	inc.Members[0].noteNow()
	g.open = append(g.open, inc)
	return inc
}

// member returns the open incident holding rule, and its index there.
func (g *Grouper) member(rule string) (*OpenIncident, int) {
	for _, inc := range g.open {
		for i, m := range inc.Members {
			if m.Alert.Rule == rule {
				return inc, i
			}
		}
	}
	return nil, -1
}

// home returns the open incident a firing rule joins, and whether an
// inhibition joins it; nil when it starts its own.
func (g *Grouper) home(a alert.Alert) (*OpenIncident, bool) {
	for _, inc := range g.open {
		for _, m := range inc.Members {
			if m.Firing && slices.Contains(g.opts.Inhibit, Inhibition{Source: m.Alert.Rule, Target: a.Rule}) {
				return inc, true
			}
		}
	}
	if label := g.opts.Groups[a.Rule]; label != "" {
		for _, inc := range g.open {
			for _, m := range inc.Members {
				if g.opts.Groups[m.Alert.Rule] == label {
					return inc, false
				}
			}
		}
	}
	if g.opts.Overlap == nil {
		return nil, false
	}
	var best *OpenIncident
	bestShare := 0.0
	for _, inc := range g.open {
		for _, m := range inc.Members {
			if !m.Firing {
				continue
			}
			if s := g.opts.Overlap(m.Alert.Rule, a.Rule); s >= MinOverlap && s > bestShare {
				best, bestShare = inc, s
			}
		}
	}
	return best, false
}

// toldSeverity is the rank of the most severe rule told so far.
func (inc *OpenIncident) toldSeverity() int {
	r := 0
	for _, m := range inc.Members {
		if m.Told && !m.Inhibited {
			r = max(r, severityRank(m.Alert.Severity))
		}
	}
	return r
}

func (inc *OpenIncident) firing() bool {
	return slices.ContainsFunc(inc.Members, func(m Member) bool { return m.Firing })
}

// noteNow records the member's measure in its peaks.
func (m *Member) noteNow() {
	if m.Alert.State == alert.Firing && !m.Alert.Down {
		m.PeakNow = max(m.PeakNow, nowValue(m.Alert))
	}
	m.PeakDistinct = max(m.PeakDistinct, m.Alert.Distinct)
}

// Next returns when [Grouper.Due] has something to do next: a
// notification due, or the measures of the firing rules (once a second
// while an incident fires); zero when nothing is open.
func (g *Grouper) Next() time.Time {
	var next time.Time
	earliest := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, inc := range g.open {
		if d := g.due(inc); !d.IsZero() {
			earliest(d)
		}
		if inc.firing() {
			earliest(latest(g.nextSample, inc.Since))
		}
	}
	return next
}

// latest returns the later of two times.
func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// due is when inc's next notification is due; zero for none.
func (g *Grouper) due(inc *OpenIncident) time.Time {
	switch {
	case !inc.firing():
		// Resolved for the whole wait, told or not: a rule that resolves
		// just before the first notification and fires again just after
		// is one incident, one page (a flap is no new page).
		return inc.ResolvedAt.Add(g.opts.Wait)
	case inc.Sent == 0:
		return inc.Since.Add(g.opts.Wait)
	case len(inc.New) > 0:
		return inc.LastSent.Add(g.opts.Interval)
	case g.opts.RemindEvery > 0 && !inc.NoReminders:
		return inc.LastSent.Add(g.opts.RemindEvery)
	}
	return time.Time{}
}

// Due returns the notifications due at now, each an alert.Alert of the
// incident's lead rule with the whole incident in its Incident. measure
// returns the current measures of the rules (the daemon's engine view);
// it is called at most once, only when a firing incident is due a
// notification or a measure (once a second while one fires). Incidents
// whose resolution is sent are closed.
func (g *Grouper) Due(now time.Time, measure func() []alert.Alert) []alert.Alert {
	firing := slices.ContainsFunc(g.open, (*OpenIncident).firing)
	needMeasure := firing && !now.Before(g.nextSample)
	for _, inc := range g.open {
		if d := g.due(inc); !d.IsZero() && !now.Before(d) && inc.firing() {
			needMeasure = true
		}
	}
	if needMeasure && measure != nil {
		g.refresh(now, measure())
		g.nextSample = now.Add(time.Second)
	}
	var out []alert.Alert
	keep := g.open[:0]
	for _, inc := range g.open {
		d := g.due(inc)
		if d.IsZero() || now.Before(d) {
			keep = append(keep, inc)
			continue
		}
		switch {
		case !inc.firing():
			// The resolution, or, for an incident that came and went
			// within the wait, its only notification: it pages.
			out = append(out, g.notification(inc, inc.ResolvedAt, alert.Resolved, 0, inc.Sent > 0))
			continue // closed
		case inc.Sent == 0:
			out = append(out, g.notification(inc, now, alert.Firing, 0, false))
		case len(inc.New) > 0:
			quiet := !inc.Escalated
			out = append(out, g.notification(inc, now, alert.Firing, 0, quiet))
		default:
			inc.Reminders++
			out = append(out, g.notification(inc, now, alert.Firing, inc.Reminders, false))
		}
		keep = append(keep, inc)
	}
	clear(g.open[len(keep):])
	g.open = keep
	return out
}

// refresh takes the current measures of the incidents' firing rules.
func (g *Grouper) refresh(now time.Time, views []alert.Alert) {
	byRule := make(map[string]*alert.Alert, len(views))
	for i := range views {
		byRule[views[i].Rule] = &views[i]
	}
	for _, inc := range g.open {
		for i := range inc.Members {
			m := &inc.Members[i]
			if v := byRule[m.Alert.Rule]; v != nil && m.Firing {
				takeMeasure(&m.Alert, v, now)
				m.noteNow()
			}
		}
	}
}

// notification builds inc's notification at t and marks it sent.
func (g *Grouper) notification(inc *OpenIncident, t time.Time, st alert.State, reminder int, quiet bool) alert.Alert {
	lead := g.view(inc, t, st, reminder, quiet)
	inc.Sent++
	inc.LastSent, inc.New, inc.Raised, inc.Escalated = t, nil, nil, false
	for i := range inc.Members {
		inc.Members[i].Told = true
	}
	return lead
}

// Reminding reports whether the open incident key is reminded: reminders
// are on (RemindEvery) and nobody stopped them for it.
func (g *Grouper) Reminding(key string) bool {
	for _, inc := range g.open {
		if inc.Key == key {
			return g.opts.RemindEvery > 0 && !inc.NoReminders && inc.firing()
		}
	}
	return false
}

// StopReminders stops the reminders of the open incident key (its
// updates and resolution still go out); false when no such incident is
// open.
func (g *Grouper) StopReminders(key string) bool {
	for _, inc := range g.open {
		if inc.Key == key {
			inc.NoReminders = true
			return true
		}
	}
	return false
}

// Incident returns the open incident key as its next notification would
// show it, with the measures last taken, without sending anything; false
// when no such incident is open.
func (g *Grouper) Incident(key string) (alert.Alert, bool) {
	for _, inc := range g.open {
		if inc.Key != key {
			continue
		}
		st, t := alert.Firing, inc.LastSent
		if !inc.firing() {
			st, t = alert.Resolved, inc.ResolvedAt
		}
		for _, m := range inc.Members {
			if m.Alert.Time.After(t) {
				t = m.Alert.Time
			}
		}
		return g.view(inc, t, st, 0, true), true
	}
	return alert.Alert{}, false
}

// view builds inc's notification at t, changing nothing.
func (g *Grouper) view(inc *OpenIncident, t time.Time, st alert.State, reminder int, quiet bool) alert.Alert {
	ms := slices.Clone(inc.Members)
	slices.SortStableFunc(ms, func(a, b Member) int {
		if a.Firing != b.Firing {
			if a.Firing {
				return -1
			}
			return 1
		}
		if a.Inhibited != b.Inhibited {
			if b.Inhibited {
				return -1
			}
			return 1
		}
		if c := cmp.Compare(severityRank(b.Alert.Severity), severityRank(a.Alert.Severity)); c != 0 {
			return c
		}
		return cmp.Compare(g.order(a.Alert.Rule), g.order(b.Alert.Rule))
	})
	ai := &alert.Incident{Key: inc.Key, State: st, Since: inc.Since, Time: t, Update: inc.Sent, Quiet: quiet,
		New: slices.Clone(inc.New), Raised: slices.Clone(inc.Raised)}
	for _, m := range ms {
		a := m.Alert
		a.Site, a.Labels = g.opts.Site, g.opts.Labels
		if !a.Down {
			a.Peak = max(a.Peak, m.PeakNow)
		}
		if a.State == alert.Resolved && m.PeakDistinct > a.Distinct {
			a.Distinct = m.PeakDistinct // the resolution tells how many at most
		}
		ai.Alerts = append(ai.Alerts, a)
		if m.Inhibited {
			ai.Inhibited = append(ai.Inhibited, a.Rule)
		}
	}
	lead := ai.Alerts[0]
	lead.State, lead.Time, lead.Reminder, lead.Incident = st, t, reminder, ai
	return lead
}

// order is rule's place in GroupOptions.Order, after every listed rule
// when it is not there.
func (g *Grouper) order(rule string) int {
	if i, ok := g.opts.Order[rule]; ok {
		return i
	}
	return len(g.opts.Order)
}

// Open returns the incidents followed, to be saved with the daemon's
// state.
func (g *Grouper) Open() []OpenIncident {
	out := make([]OpenIncident, 0, len(g.open))
	for _, inc := range g.open {
		c := *inc
		c.Members = slices.Clone(inc.Members)
		out = append(out, c)
	}
	return out
}

// Restore follows the incidents saved before a restart, before any Add.
//
// It returns, for each incident told before the restart, its notification
// as last told, for [Dispatcher.Adopt]: a new dispatcher knows of no
// incident, and would otherwise drop its updates, reminders and
// resolution as those of an incident never told.
func (g *Grouper) Restore(open []OpenIncident) (told []alert.Alert) {
	for _, inc := range open {
		if len(inc.Members) == 0 {
			continue
		}
		c := inc
		c.Members = slices.Clone(inc.Members)
		g.open = append(g.open, &c)
		if c.Sent > 0 {
			told = append(told, g.view(&c, c.LastSent, alert.Firing, 0, false))
		}
	}
	return told
}

// takeMeasure sets a's measures to v's, taken at now; what a holds from
// its transition (severity, description, since, samples) stays.
func takeMeasure(a, v *alert.Alert, now time.Time) {
	a.Time = now
	a.Value, a.Current, a.Count, a.Hits = v.Value, v.Current, v.Count, v.Hits
	a.Threshold = finite(v.Threshold, a.Threshold)
	a.Baseline, a.Spread = v.Baseline, v.Spread
	if v.DistinctOf != "" {
		a.DistinctOf, a.Distinct = v.DistinctOf, v.Distinct
	}
	if v.Keys != nil {
		a.Keys = v.Keys
	}
	if v.Peak != 0 {
		a.Peak = v.Peak
	}
}

// finite returns v, or def when v is not a finite number (a threshold
// still learning is +Inf, which JSON cannot carry).
func finite(v, def float64) float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return def
	}
	return v
}
