package detector

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Problem is one thing wrong with a rule: the field it is about, as a
// path within the rule as a config writes it ("detector.window",
// "detector.baseline.half_life", "group_by"), and what is wrong. The
// config package maps the field to the line it was written on.
type Problem struct {
	Field string
	Msg   string
}

func (p Problem) Error() string { return p.Field + ": " + p.Msg }

// MaxWindow is the longest window a rule may have.
const MaxWindow = 24 * time.Hour

// MinHalfLife is the shortest half-life a baseline may learn with: a
// shorter one forgets its normal within the attack it should see.
const MinHalfLife = time.Minute

// Problems returns every problem that would stop the engine from running
// r at resolution res, or make it run otherwise than written. It is the
// one place rules are checked: the engine refuses a rule with problems,
// and `sentinel check` reports each at its line.
func (r *Rule) Problems(res time.Duration) []Problem {
	var ps []Problem
	bad := func(field, format string, args ...any) {
		ps = append(ps, Problem{field, fmt.Sprintf(format, args...)})
	}
	finite := func(v float64) bool { return !math.IsInf(v, 0) && !math.IsNaN(v) }
	switch {
	case r.Name == "":
		bad("name", "required")
	case !validName(r.Name):
		bad("name", "%q: use letters, digits, '-', '_' and '.'", r.Name)
	}
	if !slices.Contains(Types, r.Type) {
		names := make([]string, len(Types))
		for i, t := range Types {
			names[i] = string(t)
		}
		bad("detector.type", "unknown detector %q (known: %s)", r.Type, strings.Join(names, ", "))
		return ps // nothing else means much without a type
	}
	switch {
	case r.Window < time.Second || r.Window > MaxWindow:
		bad("detector.window", "must be within 1s..%s", MaxWindow)
	case r.Window < res || r.Window%res != 0:
		bad("detector.window", "%s is not a multiple of the resolution %s", r.Window, res)
	case !windowCuts(r.Window, res):
		bad("detector.window", "%s cannot be cut into equal buckets of the resolution %s (%d to %d of them): choose a rounder window",
			r.Window, res, minBuckets, maxBuckets)
	}
	switch {
	case r.Type == Absence && r.Threshold != 0:
		bad("detector.threshold", "not used by the absence detector: its window is the silence it waits for")
	case r.Baseline != nil && r.Threshold != 0:
		bad("detector.threshold", "not used with a baseline, which learns the threshold (set baseline.factor, sigmas and floor)")
	case r.Type == Absence || r.Baseline != nil:
	case !(r.Threshold > 0) || !finite(r.Threshold):
		bad("detector.threshold", "required: a number above 0")
	case r.Type == Ratio && r.Threshold > 1:
		bad("detector.threshold", "a ratio threshold is a share above 0 and at most 1 (0.3 or 30%%)")
	}
	switch {
	case r.Type == Distinct && r.Field == nil:
		bad("detector.field", "required by the distinct detector (e.g. client_ip)")
	case r.Type != Distinct && r.Field != nil:
		bad("detector.field", "only the distinct detector takes a field")
	}
	switch {
	case r.Type == Ratio && r.Of == nil:
		bad("detector.of", "required by the ratio detector: the match block of the numerator (e.g. {status: 500-599})")
	case r.Type != Ratio && r.Of != nil:
		bad("detector.of", "belongs to the ratio detector")
	}
	if r.Type != Ratio && r.MinEvents != 0 {
		bad("detector.min_events", "belongs to the ratio detector")
	}
	switch {
	case r.Chance == 0:
	case r.Type != Ratio:
		bad("detector.chance", "belongs to the ratio detector")
	case r.Baseline != nil:
		bad("detector.chance", "is for a ratio with a threshold: a baseline learns its normal share already")
	case !(r.Chance > 0 && r.Chance < 1):
		bad("detector.chance", "must be above 0 and under 1 (e.g. 1e-5: once in 100,000 windows)")
	}
	switch {
	case r.PerKey && r.Type != Rate && r.Type != Ratio:
		bad("detector.per_key", "applies to the rate and ratio detectors only")
	case r.PerKey && r.GroupBy == nil:
		bad("detector.per_key", "needs group_by on the rule (the key to count per)")
	}
	switch {
	case r.MinSpan == 0:
	case r.MinSpan < 0 || r.MinSpan >= r.Window:
		bad("detector.min_span", "must be above 0 and shorter than the window (e.g. 4m for a 1h window)")
	case r.Type != Rate || r.PerKey:
		bad("detector.min_span", "is for rate rules over the whole site, not per key: the shortest stretch the events that fire it must span")
	}
	switch {
	case len(r.YieldTo) == 0:
	case r.MinSpan == 0:
		bad("detector.yield_to", "goes with min_span: a bucket in which one of these rules fires counts nothing")
	case slices.Contains(r.YieldTo, r.Name):
		bad("detector.yield_to", "names the rule itself")
	case slices.Contains(r.YieldTo, ""):
		bad("detector.yield_to", "holds an empty name")
	}
	switch b := r.BeyondBusiest; {
	case b == nil:
	case !r.PerKey || r.Type != Rate:
		bad("detector.beyond_busiest", "is for per-key rate rules (per_key: true): each key's busiest value of the field is left out")
	case r.GroupBy != nil && b.Name == r.GroupBy.Name:
		bad("detector.beyond_busiest", "must name another field than group_by (e.g. group_by: client_net, beyond_busiest: client_ip)")
	}
	if r.Fleet && (r.PerKey || r.Type != Rate && r.Type != Distinct && r.Type != Ratio) {
		bad("fleet", "a fleet-wide rule is a rate, distinct or ratio rule, not per key: each node keeps its per-key rules")
	}
	if r.Baseline != nil {
		ps = append(ps, r.Baseline.problems(r)...)
	}
	if r.Evidence != nil {
		ps = append(ps, r.Evidence.problems()...)
	}
	if !(r.Clear >= 0 && r.Clear <= 1) {
		bad("clear", "must be within 0 (exclusive) and 1: the share of the threshold below which a firing rule resolves")
	}
	if r.For < 0 {
		bad("for", "must not be negative")
	}
	if r.KeepFiringFor < 0 {
		bad("keep_firing_for", "must not be negative")
	}
	if e, _ := lookupKind(r.Type); e.problems != nil {
		ps = append(ps, e.problems(r)...)
	}
	return ps
}

// Validate returns the rule's problems (see [Rule.Problems]) as one
// error, nil when it has none.
func (r *Rule) Validate(res time.Duration) error {
	ps := r.Problems(res)
	if len(ps) == 0 {
		return nil
	}
	errs := make([]error, len(ps))
	name := r.Name
	if name == "" {
		name = "(no name)"
	}
	for i, p := range ps {
		errs[i] = fmt.Errorf("rule %s: %w", name, p)
	}
	return errors.Join(errs...)
}

func (b *Baseline) problems(r *Rule) []Problem {
	var ps []Problem
	bad := func(field, format string, args ...any) {
		ps = append(ps, Problem{"detector.baseline." + field, fmt.Sprintf(format, args...)})
	}
	finite := func(v float64) bool { return v >= 0 && !math.IsInf(v, 0) && !math.IsNaN(v) }
	switch {
	case r.Type == Ratio && r.PerKey:
		ps = append(ps, Problem{"detector.baseline", "a per-key ratio compares each key's share with the threshold: no baseline"})
	case r.Type != Rate && r.Type != Distinct && r.Type != Ratio:
		ps = append(ps, Problem{"detector.baseline", "applies to the rate, distinct, ratio and baseline detectors"})
	case r.PerKey && r.Type == Rate && (b.Down || b.Factor == 0):
		ps = append(ps, Problem{"detector.baseline", "per key, a baseline holds each key to factor times its own normal, going up: set factor, not sigmas or direction: down"})
	}
	switch {
	case !finite(b.Factor) || b.Factor != 0 && b.Factor <= 1:
		bad("factor", "must be a number above 1")
	case !finite(b.Sigmas):
		bad("sigmas", "must be a number above 0")
	case b.Factor == 0 && b.Sigmas == 0:
		ps = append(ps, Problem{"detector.baseline", "needs a factor or sigmas"})
	}
	if !finite(b.Floor) || !(b.Floor > 0) {
		bad("floor", "required, above 0: a learned normal of 0 must not page at 0")
	}
	switch {
	case !finite(b.WarmupFloor):
		bad("warmup_floor", "must be a number above 0")
	case b.WarmupFloor != 0 && b.Down:
		bad("warmup_floor", "is for rules going up: the level at which the rule may fire while it learns")
	}
	switch {
	case !finite(b.WarmupFactor) || b.WarmupFactor < 0 || b.WarmupFactor != 0 && b.WarmupFactor <= 1:
		bad("warmup_factor", "must be a number above 1: the factor over (going down: under) what the rule learned so far at which it may fire while it learns")
	case b.WarmupFactor != 0 && b.WarmupFactor < b.Factor:
		bad("warmup_factor", "must be at least factor: the warm-up's normal is younger, its margin wider")
	case b.WarmupFactor != 0 && r.Type == Ratio:
		bad("warmup_factor", "is for rates and distinct counts: a share's normal times a factor may pass 100%%")
	case b.WarmupFactor != 0 && r.PerKey:
		bad("warmup_factor", "is for rules over the whole site, not per key")
	}
	switch {
	case !finite(b.LullFactor) || b.LullFactor < 0 || b.LullFactor != 0 && b.LullFactor <= 1:
		bad("lull_factor", "must be a number above 1: how many times the longest lull of the 10 minutes before a silence must last")
	case b.LullFactor != 0 && !b.Down:
		bad("lull_factor", "is for rules going down (direction: down): a silence must outlast the site's own lulls")
	case b.LullFactor != 0 && r.PerKey:
		bad("lull_factor", "is for rules over the whole site, not per key")
	}
	switch {
	case !finite(b.WarmupShare) || b.WarmupShare >= 1:
		bad("warmup_share", "must be a share from 0 up to, not including, 100%%")
	case b.WarmupShare > 0 && b.WarmupFloor == 0:
		bad("warmup_share", "holds warmup_floor back while the share is ordinary: set warmup_floor too")
	case b.WarmupShare > 0 && (r.Evidence == nil || r.Evidence.Share == 0):
		bad("warmup_share", "is a share of critical_when's share.of events: set critical_when.share too")
	case b.WarmupShare > 0 && r.PerKey:
		bad("warmup_share", "is for rules over the whole site, not per key")
	}
	switch {
	case !finite(b.ShareFloor) || b.ShareFloor < 0:
		bad("share_floor", "must be a number above 0")
	case b.ShareFloor > 0 && b.Down:
		bad("share_floor", "is for rules going up: the floor while nearly every event is the evidence's")
	case b.ShareFloor > 0 && (r.Evidence == nil || r.Evidence.Share == 0):
		bad("share_floor", "holds while critical_when's share does: set critical_when.share too")
	case b.ShareFloor > 0 && r.PerKey:
		bad("share_floor", "is for rules over the whole site, not per key")
	}
	switch {
	case !finite(b.KeyOrdinaryShare) || b.KeyOrdinaryShare < 0 || b.KeyOrdinaryShare >= 1:
		bad("key_ordinary_share", "must be a share from 0 up to, not including, 100%%")
	case b.KeyOrdinaryShare > 0 && !r.PerKey:
		bad("key_ordinary_share", "is for per-key rules: a key's own share of share.of's events")
	case b.KeyOrdinaryShare > 0 && (r.Evidence == nil || r.Evidence.Share == 0):
		bad("key_ordinary_share", "is a share of critical_when's share.of events: set critical_when.share too")
	}
	switch {
	case !finite(b.KeyShare) || b.KeyShare < 0 || b.KeyShare >= 1:
		bad("key_share", "must be a share from 0 up to, not including, 100%%")
	case b.KeyShare > 0 && !r.PerKey:
		bad("key_share", "is for per-key rules: the share of the rule's events one key may carry")
	}
	if b.OneAgentIsClient && b.KeyShare == 0 {
		bad("one_agent_is_client", "spares keys from key_share: set key_share too")
	}
	// The two options that move a site-wide rule's threshold going up.
	for _, o := range []struct {
		set         bool
		field, what string
	}{
		{b.FollowTraffic, "follow_traffic", "it raises the normal with the site's traffic"},
		{b.RecurringDaily, "recurring", "a rise that came at this time the day before does not fire"},
	} {
		switch {
		case !o.set:
		case b.Down:
			bad(o.field, "is for rules going up: %s", o.what)
		case r.PerKey:
			bad(o.field, "is for rules over the whole site, not per key")
		case r.Type == Ratio:
			bad(o.field, "is for rates and distinct counts, not a share")
		}
	}
	if b.HalfLife < MinHalfLife {
		bad("half_life", "must be at least %s", MinHalfLife)
	}
	if b.Warmup < 0 {
		bad("warmup", "must not be negative")
	}
	return ps
}

func (e *Evidence) problems() []Problem {
	var ps []Problem
	bad := func(field, format string, args ...any) {
		ps = append(ps, Problem{"critical_when." + field, fmt.Sprintf(format, args...)})
	}
	share := func(v float64) bool { return v >= 0 && v <= 1 }
	if !share(e.Cold) {
		bad("cold", "must be a share above 0 and at most 1 (0.8 or 80%%)")
	}
	if !share(e.NoPause) {
		bad("no_pause", "must be a share above 0 and at most 1 (0.8 or 80%%)")
	}
	switch {
	case !share(e.Share):
		bad("share.at_least", "must be a share above 0 and at most 1 (0.8 or 80%%)")
	case (e.Share > 0) != (e.ShareOf != nil):
		bad("share", "needs of (a match block or a matcher's name) and at_least (a share), e.g. {of: login-posts, at_least: 70%%}")
	}
	if e.ClientsPerAgent != 0 && !(e.ClientsPerAgent >= 1) {
		bad("clients_per_agent", "must be at least 1: how many more client addresses than user agents")
	}
	if e.Cold == 0 && e.NoPause == 0 && e.Share == 0 && e.ShareOf == nil && e.ClientsPerAgent == 0 {
		ps = append(ps, Problem{"critical_when", "needs at least one sign: cold, no_pause, share or clients_per_agent"})
	}
	return ps
}

// windowCuts reports whether a window can be cut into equal buckets of
// whole resolution steps (see [bucketWidth]).
func windowCuts(window, res time.Duration) bool {
	_, ok := bucketWidth(int64(window / res))
	return ok
}

// validName reports whether s is a rule or matcher name: letters, digits,
// '-', '_' and '.'.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// ValidName reports whether s is a valid rule or matcher name.
func ValidName(s string) bool { return validName(s) }
