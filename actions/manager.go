package actions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// Episode statuses.
const (
	StatusApplying  = "applying"  // the remedy's request is being made
	StatusOn        = "on"        // the remedy is in place
	StatusReverting = "reverting" // the revert's request is being made
	// StatusRevertFailed is a remedy whose revert failed for good: it is
	// still on and must be undone by hand, unless its rules fire and
	// resolve again, when the revert is tried anew.
	StatusRevertFailed = "revert_failed"
)

// Episode is one application of an action, from the firing that applied
// it to its revert. It is saved with the daemon's state, so that a remedy
// applied before a restart is still reverted after it.
type Episode struct {
	Action string `json:"action"`
	// Alert is the firing that applied the remedy; the revert is made for
	// it too (the same keys, the same idempotency base).
	Alert  alert.Alert `json:"alert"`
	Status string      `json:"status"`
	DryRun bool        `json:"dry_run,omitempty"`
	// HasRevert says that the action had a revert when it was applied.
	HasRevert bool      `json:"has_revert,omitempty"`
	Applied   time.Time `json:"applied"` // event time
	// Firing lists the action's rules firing now.
	Firing []string `json:"firing"`
	// Quiet is when the last of them resolved; zero while one fires.
	Quiet time.Time `json:"quiet,omitzero"`
	// RevertAt is when the revert is due; zero while a rule fires.
	RevertAt time.Time `json:"revert_at,omitzero"`
	// Reapply is a firing that came while the revert's request was being
	// made: if that request went through, the remedy is applied again at
	// once (the same episode goes on: no guardrail holds it back).
	Reapply *alert.Alert `json:"reapply,omitempty"`

	act   *Action       // the action as configured now (or, removed, when it began)
	stop  chan struct{} // closed to stop a revert's retries: a rule fired again
	retry retryState    // the retry its request waits for; guarded by the Manager's mu
}

// State is what a [Manager] saves across restarts.
type State struct {
	Paused   bool       `json:"paused,omitempty"`
	Episodes []*Episode `json:"episodes,omitempty"`
	// Applied holds, per action, the event times of its applications in
	// the last 24 hours: cooldowns and caps survive a restart.
	Applied map[string][]time.Time `json:"applied,omitempty"`
}

// Options configure a [Manager].
type Options struct {
	Actions []*Action
	// DryRun logs every action instead of making its requests.
	DryRun bool
	// Audit receives every attempt; nil keeps none.
	Audit  *Audit
	Logger *slog.Logger
	// Now is the wall clock, for audit entries; nil means time.Now.
	Now func() time.Time
	// Plan, when set, replaces the requests (replay): each step that would
	// run is passed to it as an entry with outcome "planned" (or
	// "skipped"), and counts as done at once. Run is then not needed.
	Plan func(Entry)
	// Outcome, when set, counts each entry recorded (a metric), by its
	// outcome: delivery.OK, Retrying, Failed, Skipped, DryRun or Stopped.
	Outcome func(action string, o delivery.Outcome)
	// MinBackoff and MaxBackoff bound the wait between attempts
	// (defaults delivery.DefaultMinBackoff and DefaultMaxBackoff: 1 s and
	// 5 min); a receiver's Retry-After wins when longer, up to 15 min.
	MinBackoff, MaxBackoff time.Duration
	// Latency, when set, is told how long each application's first
	// attempt took, from the goroutine that made it.
	Latency func(Timing)
}

// Timing is how long an application's first attempt took, on the
// monotonic clock (whatever Options.Now is).
type Timing struct {
	Action string
	// Waited runs from the firing that started the application (its
	// Handle) to the request being made: nothing slow must sit between.
	Waited time.Duration
	// Answered runs from the request being made to its answer (an HTTP
	// status, or a program's exit); zero when none came (a refused
	// connection, a timeout).
	Answered time.Duration
}

// Manager runs the actions' episodes. Feed it the alert transitions with
// Handle and the log's clock with Advance, in event-time order, and run
// Run to make the requests. It is safe for concurrent use.
type Manager struct {
	opts Options
	log  *slog.Logger

	mu       sync.Mutex
	actions  map[string]*Action
	byRule   map[string][]*Action
	firing   map[string]bool     // the rules firing now
	episodes map[string]*Episode // by action name
	applied  map[string][]time.Time
	paused   bool
	jobs     []job
	changes  uint64 // bumped on every change worth saving
	wake     chan struct{}
}

// job is one step to run.
type job struct {
	ep    *Episode
	act   *Action // ep.act when the job was queued (a reload may change ep.act)
	phase Phase
	at    time.Time     // event time it was due
	stop  chan struct{} // a revert's: closed when its rules fire again
	// queued is when an application was queued by the firing that
	// started it (wall and monotonic clock); zero for other jobs.
	queued time.Time
	// by and done are a person's request's (RunNow, RevertNow): who asked,
	// and where the job's last entry goes (buffered, never blocks).
	by   string
	done chan Entry
}

// Errors of [Manager.RunNow] and [Manager.RevertNow]: why a person's
// request cannot be made now.
var (
	ErrNoAction = errors.New("no action of that name in the running config")
	ErrPaused   = errors.New("actions are paused: 'sentinel actions resume' lifts the pause")
	ErrOn       = errors.New("the remedy is on already")
	ErrNotOn    = errors.New("the remedy is not on")
	ErrBusy     = errors.New("a request of this action is under way")
	ErrNoRevert = errors.New("the action has no revert: undo it by hand")
)

// RunNow applies the action name now, at a person's request (a link):
// for real, even when the action is in dry run (a dry-run episode on
// becomes a real one, so its revert is real too) or its cooldown or caps
// would hold it back; the pause holds. a is the alert the request is made
// for (its templates see it) at the log's time a.Time. The remedy is then
// undone as any other: once every rule of the action has stayed quiet for
// its revert_after. by says who asked, for the audit. The returned channel
// receives the request's last audit entry (an ok, a failed), once.
func (m *Manager) RunNow(name string, a alert.Alert, by string) (<-chan Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	act := m.actions[name]
	if act == nil {
		return nil, ErrNoAction
	}
	if m.paused {
		return nil, ErrPaused
	}
	ep := m.episodes[name]
	switch {
	case ep == nil:
		ep = &Episode{Action: act.Name, Alert: a, Applied: a.Time, act: act}
		for _, r := range act.Rules {
			if m.firing[r] {
				ep.Firing = append(ep.Firing, r)
			}
		}
		if len(ep.Firing) == 0 { // nothing fires: undone after revert_after
			ep.Quiet = a.Time
		}
		m.episodes[name] = ep
	case ep.Status == StatusApplying || ep.Status == StatusReverting:
		return nil, ErrBusy
	case !ep.DryRun:
		return nil, ErrOn
	default: // a dry run on: made for real now
		ep.act, ep.Applied = act, a.Time
	}
	ep.Status, ep.DryRun, ep.HasRevert = StatusApplying, false, act.Undo != nil
	if !ep.Quiet.IsZero() {
		ep.RevertAt = revertAt(ep)
	}
	m.applied[act.Name] = append(m.applied[act.Name], a.Time)
	m.changes++
	done := make(chan Entry, 1)
	m.queue(job{ep: ep, phase: Apply, at: a.Time, by: by, done: done})
	return done, nil
}

// RevertNow reverts the remedy of the action name now, at a person's
// request (a link), at the log's time t: even while a rule of the action
// fires (the remedy is then not applied again until a rule fires anew),
// and also one whose revert failed. A dry run has nothing to revert. by
// says who asked, for the audit. The returned channel receives the
// request's last audit entry, once.
func (m *Manager) RevertNow(name string, t time.Time, by string) (<-chan Entry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ep := m.episodes[name]
	switch {
	case ep == nil && m.actions[name] == nil:
		return nil, ErrNoAction
	case ep == nil || ep.DryRun:
		return nil, ErrNotOn
	case ep.Status == StatusApplying || ep.Status == StatusReverting:
		return nil, ErrBusy
	case ep.act.Undo == nil:
		return nil, ErrNoRevert
	}
	ep.Status, ep.stop = StatusReverting, make(chan struct{})
	m.changes++
	done := make(chan Entry, 1)
	m.queue(job{ep: ep, phase: Revert, at: t, stop: ep.stop, by: by, done: done})
	return done, nil
}

// Episode returns the episode of the action name under way, and whether
// there is one.
func (m *Manager) Episode(name string) (Episode, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ep := m.episodes[name]
	if ep == nil {
		return Episode{}, false
	}
	c := *ep
	c.Firing = slices.Clone(ep.Firing)
	return c, true
}

// Action returns the action name as configured now, and whether there is
// one.
func (m *Manager) Action(name string) (*Action, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.actions[name]
	return a, a != nil
}

// Paused reports whether the kill switch is on.
func (m *Manager) Paused() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.paused
}

// Blocked says which guardrail (the pause, a cooldown, a cap) would hold
// back an application of the action name from a rule at log time t; ""
// for none. A person's request (RunNow) passes all but the pause.
func (m *Manager) Blocked(name string, t time.Time) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	act := m.actions[name]
	if act == nil {
		return ""
	}
	return m.blocked(act, t)
}

// NewManager returns a Manager for opts.Actions.
func NewManager(opts Options) *Manager {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Manager{opts: opts, log: opts.Logger, episodes: map[string]*Episode{}, applied: map[string][]time.Time{},
		firing: map[string]bool{}, wake: make(chan struct{}, 1)}
	m.setActions(opts.Actions)
	return m
}

// SetActions replaces the configured actions (a reload) at log time t.
// An episode under way follows its action's new definition (its rules,
// its revert), so a broken revert can be mended by a reload; one whose
// action was removed, or lost its revert, keeps the definition it began
// with, so the remedy is still undone.
func (m *Manager) SetActions(actions []*Action, t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.setActions(actions)
	for _, ep := range m.episodes {
		if act := m.actions[ep.Action]; act != nil && (act.Undo != nil || ep.act.Undo == nil) {
			ep.act = act
		}
	}
	m.reconcile(t)
}

// Reconcile tells the manager which rules fire now, at log time t: after
// a restart, whose restored engine may have restarted changed rules from
// scratch. An episode none of whose rules fires any more starts its
// quiet period at t.
func (m *Manager) Reconcile(firing []string, t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.firing = map[string]bool{}
	for _, r := range firing {
		m.firing[r] = true
	}
	m.reconcile(t)
}

// reconcile makes each episode's Firing the rules of its action that fire
// now. The caller holds mu.
func (m *Manager) reconcile(t time.Time) {
	for _, ep := range m.episodes {
		var now []string
		for _, r := range ep.act.Rules {
			if m.firing[r] {
				now = append(now, r)
			}
		}
		if len(now) > 0 && ep.stop != nil { // a revert restored under way, its rule firing
			close(ep.stop)
			ep.stop = nil
		}
		if slices.Equal(now, ep.Firing) {
			continue
		}
		was := len(ep.Firing)
		ep.Firing = now
		m.changes++
		if len(now) == 0 && was > 0 && !t.IsZero() { // a zero t: the first Advance starts the quiet
			ep.Quiet = t
			ep.RevertAt = revertAt(ep)
		}
	}
}

func (m *Manager) setActions(actions []*Action) {
	m.actions, m.byRule = map[string]*Action{}, map[string][]*Action{}
	for _, a := range actions {
		m.actions[a.Name] = a
		for _, r := range a.Rules {
			m.byRule[r] = append(m.byRule[r], a)
		}
	}
}

// Restore takes the state saved by a previous run: pauses, cooldowns and
// episodes. An apply or revert that was under way is made again (with the
// same idempotency key). An episode whose action the config no longer has
// is dropped with an error in the log: its remedy must be undone by hand.
func (m *Manager) Restore(s State) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.paused = s.Paused
	for name, ts := range s.Applied {
		m.applied[name] = slices.Clone(ts)
	}
	for _, ep := range s.Episodes {
		act := m.actions[ep.Action]
		switch {
		case act == nil:
			m.log.Error("action removed from the config while its remedy was on: undo it by hand",
				"action", ep.Action, "applied", ep.Applied, "rule", ep.Alert.Rule)
			continue
		case act.Undo == nil && (ep.HasRevert || ep.Status == StatusReverting || ep.Status == StatusRevertFailed) &&
			ep.Status != StatusApplying:
			m.log.Error("action lost its revert while its remedy was on: undo it by hand",
				"action", ep.Action, "applied", ep.Applied, "rule", ep.Alert.Rule)
			continue
		}
		ep.act = act
		m.episodes[ep.Action] = ep
		switch ep.Status {
		case StatusApplying:
			m.queue(job{ep: ep, phase: Apply, at: ep.Applied})
		case StatusReverting:
			if ep.Reapply != nil && len(ep.Firing) > 0 {
				// A rule fired again while the revert was under way, and
				// the revert was cut off by the stop: it may or may not
				// have reached the service. The remedy is wanted, so it is
				// applied again (remedies are idempotent), as when a revert
				// goes through under a firing rule; not reverted again.
				delete(m.episodes, ep.Action)
				m.log.Warn("revert cut off by a restart while a rule fired again: applying the remedy again",
					"action", ep.Action, "rule", ep.Reapply.Rule)
				m.apply(act, *ep.Reapply, skipGuardrails)
				continue
			}
			ep.stop = make(chan struct{})
			m.queue(job{ep: ep, phase: Revert, at: ep.RevertAt, stop: ep.stop})
		}
	}
}

// State returns what to save.
func (m *Manager) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := State{Paused: m.paused, Applied: map[string][]time.Time{}}
	for name, ts := range m.applied {
		s.Applied[name] = slices.Clone(ts)
	}
	for _, name := range m.episodeNames() {
		ep := *m.episodes[name]
		ep.Firing = slices.Clone(ep.Firing)
		s.Episodes = append(s.Episodes, &ep)
	}
	return s
}

// Changes counts the changes worth saving; a caller saves when it moved.
func (m *Manager) Changes() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changes
}

// Pause stops new applications (a kill switch) until Resume; reverts of
// remedies already on still run, so nothing is left switched off.
func (m *Manager) Pause() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.paused = true
	m.changes++
}

// Resume lifts a Pause.
func (m *Manager) Resume() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.paused = false
	m.changes++
}

// Handle takes one alert transition, in event-time order.
func (m *Manager) Handle(a alert.Alert) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.advance(a.Time)
	if a.State == alert.Firing {
		m.firing[a.Rule] = true
	} else {
		delete(m.firing, a.Rule)
	}
	for _, ep := range m.episodes { // those of removed actions too
		if !slices.Contains(ep.act.Rules, a.Rule) {
			continue
		}
		m.changes++
		if a.State == alert.Firing {
			if !slices.Contains(ep.Firing, a.Rule) {
				ep.Firing = append(ep.Firing, a.Rule)
			}
			ep.Quiet, ep.RevertAt = time.Time{}, time.Time{} // the remedy stays on
			switch ep.Status {
			case StatusReverting:
				if ep.Reapply == nil {
					ep.Reapply = &a
				}
				if ep.stop != nil {
					close(ep.stop) // no more retries: the remedy is wanted again
					ep.stop = nil
				}
			case StatusRevertFailed:
				ep.Status = StatusOn // still on: tried again once the rules are quiet
			}
			continue
		}
		ep.Firing = slices.DeleteFunc(ep.Firing, func(r string) bool { return r == a.Rule })
		if len(ep.Firing) == 0 { // also while a revert is under way: if it is given up, this is when the quiet began
			ep.Quiet = a.Time
			ep.RevertAt = revertAt(ep)
		}
	}
	if a.State == alert.Firing && !a.Escalated { // a raise is its episode's, not a new firing
		for _, act := range m.byRule[a.Rule] {
			if m.episodes[act.Name] == nil {
				m.apply(act, a, checkGuardrails)
			}
		}
	}
	m.advance(a.Time)
}

// Release lets go of rules firing here that another daemon follows now
// (a fleet's evaluator whose lease passed to another node: see package
// fleet): they no longer count as firing, and an episode left with no rule
// firing ends without a revert, since the daemon that follows its rules
// reverts the remedy when they resolve. A rule that fires again later here
// then applies its remedy anew, instead of finding an episode on. It
// returns the episodes ended.
func (m *Manager) Release(rules []string) (ended []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range rules {
		delete(m.firing, r)
	}
	for _, name := range m.episodeNames() {
		ep := m.episodes[name]
		n := len(ep.Firing)
		ep.Firing = slices.DeleteFunc(ep.Firing, func(r string) bool { return slices.Contains(rules, r) })
		if len(ep.Firing) == n {
			continue
		}
		m.changes++
		if len(ep.Firing) > 0 {
			continue
		}
		ep.Reapply = nil // a revert under way finishes; nothing is applied again here
		if ep.Status == StatusOn || ep.Status == StatusApplying {
			delete(m.episodes, name) // an apply under way finishes unheeded (see done)
			ended = append(ended, name)
		}
	}
	return ended
}

// Advance moves the log's clock to t, starting the reverts that are due.
func (m *Manager) Advance(t time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.advance(t)
}

// revertAt is when an episode whose rules are all quiet is reverted:
// RevertAfter after the quiet began, or, once MaxDuration has passed
// since it was applied, at once.
func revertAt(ep *Episode) time.Time {
	at := ep.Quiet.Add(ep.act.RevertAfter)
	if d := ep.act.MaxDuration; d > 0 {
		if limit := ep.Applied.Add(d); limit.Before(at) {
			at = maxTime(limit, ep.Quiet)
		}
	}
	return at
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// advance starts the reverts due at t. The caller holds mu.
func (m *Manager) advance(t time.Time) {
	for _, name := range m.episodeNames() {
		ep := m.episodes[name]
		if ep.Status == StatusOn && len(ep.Firing) == 0 && ep.RevertAt.IsZero() && !t.IsZero() {
			// Quiet with no time to count from (restored without the
			// log's clock): the quiet period starts now.
			ep.Quiet, ep.RevertAt = t, revertAt(&Episode{Quiet: t, Applied: ep.Applied, act: ep.act})
			m.changes++
		}
		if ep.Status != StatusOn || ep.RevertAt.IsZero() || t.Before(ep.RevertAt) || len(ep.Firing) > 0 {
			continue
		}
		if ep.act.Undo == nil { // nothing to undo: the episode just ends
			delete(m.episodes, name)
			m.changes++
			continue
		}
		ep.Status = StatusReverting
		ep.stop = make(chan struct{})
		m.changes++
		m.queue(job{ep: ep, phase: Revert, at: ep.RevertAt, stop: ep.stop})
	}
}

// guardrails says whether apply checks the pause, cooldown and caps.
type guardrails bool

const (
	checkGuardrails guardrails = true
	skipGuardrails  guardrails = false // the same episode goes on: no cooldown or caps (the pause holds)
)

// apply starts an episode for a firing, unless a guardrail holds it back.
// The caller holds mu.
func (m *Manager) apply(act *Action, a alert.Alert, g guardrails) {
	// Going on with an episode skips the cooldown and caps, never the pause.
	if reason := m.blocked(act, a.Time); reason != "" && (g == checkGuardrails || m.paused) {
		e := Entry{At: m.opts.Now().UTC(), EventTime: a.Time, Action: act.Name, Phase: Apply, Rule: a.Rule,
			Outcome: delivery.Skipped, Reason: reason, Request: act.Do.String()}
		m.record(e)
		m.log.Warn("action held back", "action", act.Name, "rule", a.Rule, "reason", reason)
		return
	}
	m.applied[act.Name] = append(m.applied[act.Name], a.Time)
	ep := &Episode{Action: act.Name, Alert: a, Status: StatusApplying, DryRun: act.DryRun || m.opts.DryRun,
		HasRevert: act.Undo != nil, Applied: a.Time, act: act}
	// Every rule of the action firing now, not only a's; and not a's if it
	// resolved since: a re-apply after a revert is made with the alert
	// that fired during the revert, and a rule counted as firing that
	// never resolves again would keep the remedy on for good.
	for _, r := range act.Rules {
		if m.firing[r] {
			ep.Firing = append(ep.Firing, r)
		}
	}
	m.episodes[act.Name] = ep
	m.changes++
	m.queue(job{ep: ep, phase: Apply, at: a.Time, queued: time.Now()})
}

// blocked says which guardrail, if any, holds back an application at t.
func (m *Manager) blocked(act *Action, t time.Time) string {
	if m.paused {
		return "paused (sentinel actions resume lifts it)"
	}
	ts := slices.DeleteFunc(m.applied[act.Name], func(at time.Time) bool { return t.Sub(at) >= 24*time.Hour })
	m.applied[act.Name] = ts
	if n := len(ts); n > 0 && act.Cooldown > 0 && t.Sub(ts[n-1]) < act.Cooldown {
		return "cooldown: applied at " + ts[n-1].UTC().Format(time.RFC3339) + ", cooldown " + act.Cooldown.String()
	}
	inHour := 0
	for _, at := range ts {
		if t.Sub(at) < time.Hour {
			inHour++
		}
	}
	if act.MaxPerHour > 0 && inHour >= act.MaxPerHour {
		return fmt.Sprintf("cap: %d applications in the last hour (max_per_hour %d)", inHour, act.MaxPerHour)
	}
	if act.MaxPerDay > 0 && len(ts) >= act.MaxPerDay {
		return fmt.Sprintf("cap: %d applications in the last 24 hours (max_per_day %d)", len(ts), act.MaxPerDay)
	}
	return ""
}

// queue hands a job to Run, or, when planning, does it at once. The
// caller holds mu.
func (m *Manager) queue(j job) {
	j.act = j.ep.act
	if m.opts.Plan != nil {
		step := j.act.Do
		if j.phase == Revert {
			step = j.act.Undo
		}
		outcome := delivery.Planned
		if j.ep.DryRun {
			outcome = delivery.DryRun
		}
		m.opts.Plan(Entry{At: j.at, EventTime: j.at, Action: j.ep.Action, Phase: j.phase, Rule: j.ep.Alert.Rule,
			Outcome: outcome, Request: step.String(), Key: idempotencyKey(j.ep.Action, j.ep.Alert, j.phase)})
		m.done(j, succeeded)
		return
	}
	m.jobs = append(m.jobs, j)
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// result is how a job ended.
type result int

const (
	succeeded result = iota // or a dry run
	failed                  // for good
	stopped                 // a revert given up because its rules fired again
)

// done ends a job. The caller holds mu.
func (m *Manager) done(j job, r result) {
	ep := j.ep
	if m.episodes[ep.Action] != ep {
		return
	}
	m.changes++
	ep.stop, ep.retry = nil, retryState{}
	switch {
	case j.phase == Apply && r == succeeded:
		ep.Status = StatusOn
	case j.phase == Apply:
		delete(m.episodes, ep.Action) // nothing was applied: nothing to undo
	case r == stopped:
		ep.Status, ep.Reapply = StatusOn, nil // the revert did not go through: still on
	case r == failed && len(ep.Firing) > 0:
		// Refused while its rule fired again: the remedy is on and wanted;
		// the revert is tried again once the rules are quiet.
		ep.Status, ep.Reapply = StatusOn, nil
	case r == failed:
		ep.Status, ep.Reapply = StatusRevertFailed, nil
	default:
		delete(m.episodes, ep.Action)
		if ep.Reapply != nil && len(ep.Firing) > 0 { // fired again while the revert was made
			m.apply(ep.act, *ep.Reapply, skipGuardrails)
		}
	}
}

// Run makes the queued requests until ctx ends. Each job runs in its own
// goroutine (at most one per action's episode); Run waits for them. A
// job cut off by ctx is left in the state and made again after a restart.
func (m *Manager) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		m.mu.Lock()
		jobs := m.jobs
		m.jobs = nil
		m.mu.Unlock()
		for _, j := range jobs {
			wg.Go(func() { m.run(ctx, j) })
		}
		select {
		case <-ctx.Done():
			return nil
		case <-m.wake:
		}
	}
}

// run makes one job's request, retrying what a retry can mend: an apply
// up to its action's Retries, a revert until it succeeds (a remedy left
// on is an outage of its own) or fails permanently.
func (m *Manager) run(ctx context.Context, j job) {
	act := j.act
	step, phase := act.Do, j.phase
	if phase == Revert {
		step = act.Undo
	}
	c := Call{Action: act.Name, Phase: phase, Alert: j.ep.Alert, Key: idempotencyKey(act.Name, j.ep.Alert, phase)}
	base := Entry{EventTime: j.at, Action: act.Name, Phase: phase, Rule: j.ep.Alert.Rule, Request: step.String(), Key: c.Key, By: j.by}
	if j.ep.DryRun {
		e := base
		e.At, e.Outcome = m.opts.Now().UTC(), delivery.DryRun
		m.log.Info("dry run: action not made", "action", act.Name, "phase", phase, "request", e.Request)
		m.finish(j, e, succeeded)
		return
	}
	var res Result
	made := 0 // attempts made
	entry := func(outcome delivery.Outcome, err error) Entry {
		e := base
		e.At, e.Attempt, e.Status, e.Output, e.Outcome = m.opts.Now().UTC(), made, res.Status, res.Output, outcome
		if err != nil {
			e.Error = err.Error()
		}
		return e
	}
	// withOutput adds a program's output (its first 4 KiB) to a log
	// line, as the audit has it.
	withOutput := func(args ...any) []any {
		if _, ok := step.(*Exec); ok && res.Output != "" {
			args = append(args, "output", res.Output)
		}
		return args
	}
	p := delivery.Policy{MinBackoff: m.opts.MinBackoff, MaxBackoff: m.opts.MaxBackoff, Stop: j.stop,
		Retrying: func(f delivery.Failure) {
			m.log.Warn("action failed, retrying", withOutput("action", act.Name, "phase", phase, "attempt", f.Attempt, "wait", f.Wait,
				"requested", f.Requested, "err", f.Err)...)
			m.record(entry(delivery.Retrying, f.Err))
			m.setRetry(j.ep, retryState{at: m.opts.Now().Add(f.Wait), requested: f.Requested})
		}}
	if phase == Apply {
		p.Attempts = max(act.Retries, 0) + 1
	}
	err := delivery.Retry(ctx, p, func(attempt int) error {
		if phase == Revert && attempt > 1 {
			// A revert retries until it succeeds: a reload that mends it
			// (a new URL, a token) takes effect at the next attempt.
			m.mu.Lock()
			cur := j.ep.act
			m.mu.Unlock()
			if cur != act && cur.Undo != nil {
				act, step = cur, cur.Undo
				base.Request = step.String()
				m.log.Info("revert retried with the action's reloaded definition", "action", act.Name, "request", base.Request)
			}
		}
		made, c.Attempt = attempt, attempt
		var err error
		sent := time.Now()
		res, err = step.Do(ctx, c)
		if attempt == 1 && !j.queued.IsZero() && m.opts.Latency != nil {
			tm := Timing{Action: act.Name, Waited: sent.Sub(j.queued)}
			if err == nil || res.Status != 0 {
				tm.Answered = time.Since(sent)
			}
			m.opts.Latency(tm)
		}
		return err
	})
	switch {
	case errors.Is(err, delivery.ErrStopped):
		made++ // the attempt not made
		res = Result{}
		e := entry(delivery.Stopped, nil)
		e.Reason = "a rule fired again: the remedy stays on"
		m.log.Warn("revert given up: a rule fired again, the remedy stays on", "action", act.Name)
		m.finish(j, e, stopped)
	case err == nil:
		m.log.Info("action made", withOutput("action", act.Name, "phase", phase, "request", base.Request, "status", res.Status)...)
		m.finish(j, entry(delivery.OK, nil), succeeded)
	case ctx.Err() != nil:
		// Cut off: made again after a restart, under the same key.
	default:
		msg := "action failed"
		if phase == Revert {
			msg = "revert failed, not retried: the remedy is still on, undo it by hand"
		}
		m.log.Error(msg, withOutput("action", act.Name, "phase", phase, "request", base.Request, "attempt", made, "err", err)...)
		m.finish(j, entry(delivery.Failed, err), failed)
	}
}

// retryState is a request that failed and waits to be made again.
type retryState struct {
	at        time.Time     // wall time of the next attempt
	requested time.Duration // the wait the receiver asked for
}

// setRetry notes the retry ep's request waits for.
func (m *Manager) setRetry(ep *Episode, r retryState) {
	m.mu.Lock()
	defer m.mu.Unlock()
	ep.retry = r
}

// finish records a job's last entry and ends it.
func (m *Manager) finish(j job, e Entry, r result) {
	m.record(e)
	m.mu.Lock()
	m.done(j, r)
	m.mu.Unlock()
	if j.done != nil {
		j.done <- e // buffered, sent once
	}
}

// record writes an entry to the audit log (or, planning, to Plan).
func (m *Manager) record(e Entry) {
	if m.opts.Plan != nil {
		if e.Outcome == delivery.Skipped {
			e.At = e.EventTime
			m.opts.Plan(e)
		}
		return
	}
	if m.opts.Outcome != nil {
		m.opts.Outcome(e.Action, e.Outcome)
	}
	if m.opts.Audit == nil {
		return
	}
	if err := m.opts.Audit.Record(e); err != nil {
		m.log.Error("audit entry not written", "action", e.Action, "err", err)
	}
}

// Status is what the status API shows of the actions.
type Status struct {
	Paused   bool            `json:"paused"`
	DryRun   bool            `json:"dry_run"`
	Actions  []ActionStatus  `json:"actions"`
	Episodes []EpisodeStatus `json:"episodes"`
	Recent   []Entry         `json:"recent"`
}

// ActionStatus describes one configured action.
type ActionStatus struct {
	Name        string   `json:"name"`
	Rules       []string `json:"rules"`
	Request     string   `json:"request"`
	Revert      string   `json:"revert,omitempty"`
	RevertAfter float64  `json:"revert_after_seconds"`
	MaxDuration float64  `json:"max_duration_seconds,omitempty"`
	Cooldown    float64  `json:"cooldown_seconds"`
	MaxPerHour  int      `json:"max_per_hour"`
	MaxPerDay   int      `json:"max_per_day"`
	DryRun      bool     `json:"dry_run"`
}

// EpisodeStatus is a remedy that is on (or being applied or reverted).
type EpisodeStatus struct {
	Action   string    `json:"action"`
	Rule     string    `json:"rule"` // the rule that applied it
	Status   string    `json:"status"`
	DryRun   bool      `json:"dry_run,omitempty"`
	Applied  time.Time `json:"applied"`
	Firing   []string  `json:"firing"`
	RevertAt time.Time `json:"revert_at,omitzero"` // zero: not before the rules resolve
	Revert   string    `json:"revert,omitempty"`
	// RetryAt is when a failed request is made again (wall time); zero
	// when none waits.
	RetryAt time.Time `json:"retry_at,omitzero"`
	// RequestedWaitSeconds is the wait its receiver asked for (a 429's
	// Retry-After), in seconds, at most 900.
	RequestedWaitSeconds float64 `json:"requested_wait_seconds,omitempty"`
}

// Status returns the actions, the episodes under way and the last audit
// entries.
func (m *Manager) Status() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := Status{Paused: m.paused, DryRun: m.opts.DryRun, Actions: []ActionStatus{}, Episodes: []EpisodeStatus{}, Recent: []Entry{}}
	for _, n := range slices.Sorted(maps.Keys(m.actions)) {
		a := m.actions[n]
		as := ActionStatus{Name: a.Name, Rules: a.Rules, Request: a.Do.String(), RevertAfter: a.RevertAfter.Seconds(),
			MaxDuration: a.MaxDuration.Seconds(), Cooldown: a.Cooldown.Seconds(), MaxPerHour: a.MaxPerHour,
			MaxPerDay: a.MaxPerDay, DryRun: a.DryRun || m.opts.DryRun}
		if a.Undo != nil {
			as.Revert = a.Undo.String()
		}
		s.Actions = append(s.Actions, as)
	}
	for _, n := range m.episodeNames() {
		ep := m.episodes[n]
		es := EpisodeStatus{Action: ep.Action, Rule: ep.Alert.Rule, Status: ep.Status, DryRun: ep.DryRun,
			Applied: ep.Applied, Firing: slices.Clone(ep.Firing), RevertAt: ep.RevertAt, RetryAt: ep.retry.at,
			RequestedWaitSeconds: ep.retry.requested.Seconds()}
		if ep.act.Undo != nil {
			es.Revert = ep.act.Undo.String()
		}
		s.Episodes = append(s.Episodes, es)
	}
	if m.opts.Audit != nil {
		s.Recent = m.opts.Audit.Recent()
	}
	return s
}

// Episodes returns the episodes under way (replay lists those still on
// at the end of the log).
func (m *Manager) Episodes() []Episode {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Episode
	for _, n := range m.episodeNames() {
		out = append(out, *m.episodes[n])
	}
	return out
}

// episodeNames returns the episodes' action names, sorted, so that what
// they do comes out in a stable order. The caller holds mu.
func (m *Manager) episodeNames() []string { return slices.Sorted(maps.Keys(m.episodes)) }
