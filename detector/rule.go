package detector

import (
	"errors"
	"fmt"
	"math"
	"slices"
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

// Types lists the detector types.
var Types = []Type{Rate, Distinct, Ratio, Absence}

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
	// HalfLife is how fast the baseline forgets: an hour-old value weighs
	// half as much as a new one when HalfLife is an hour.
	HalfLife time.Duration
	// Down watches for a drop below normal instead of a rise.
	Down bool
}

// Rule is one compiled rule: which events count, how they are measured,
// and when that fires. Build it through the config package, which checks
// every field and reports errors with file:line; [Rule.Validate] repeats
// the checks the engine relies on.
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
	// Of is the filter of a Ratio rule's numerator: the share is of the
	// events passing Match that also pass Of.
	Of Cond
	// MinEvents is the fewest events in the window for a Ratio rule to
	// fire: three requests at night, two of them errors, are not a surge.
	MinEvents uint64
	// Baseline, when set, replaces Threshold by a learned normal.
	Baseline *Baseline

	// GroupBy names the field whose top values (the top offenders) the
	// alert carries. Nil: no top offenders.
	GroupBy *Field
	// DistinctOf, when set, makes a Rate rule's alert also say how many
	// distinct values of this field the window saw ("from 4,812 IPs").
	DistinctOf *Field

	// For is how long the condition must hold before the rule fires.
	For time.Duration
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

// Validate reports the first problem that would stop the engine from
// running the rule.
func (r *Rule) Validate(res time.Duration) error {
	if r.Baseline != nil {
		if err := r.Baseline.validate(); err != nil {
			return fmt.Errorf("rule %s: baseline: %w", r.Name, err)
		}
	}
	switch {
	case r.Name == "":
		return errors.New("rule has no name")
	case !slices.Contains(Types, r.Type):
		return fmt.Errorf("rule %s: unknown detector %q", r.Name, r.Type)
	case r.Type == Ratio && r.Of == nil:
		return fmt.Errorf("rule %s: ratio needs of (the numerator's filter)", r.Name)
	case r.Type == Ratio && r.Threshold > 1:
		return fmt.Errorf("rule %s: a ratio threshold is a share, 0 to 1", r.Name)
	case r.Baseline != nil && r.Type != Rate && r.Type != Distinct:
		return fmt.Errorf("rule %s: baseline applies to rate and distinct rules", r.Name)
	case r.Baseline != nil && r.PerKey:
		return fmt.Errorf("rule %s: baseline and per_key do not combine", r.Name)

	case r.Window < res || r.Window%res != 0:
		return fmt.Errorf("rule %s: window %v must be a positive multiple of the resolution %v", r.Name, r.Window, res)
	case !windowCuts(r.Window, res):
		return fmt.Errorf("rule %s: window %v cannot be cut into %d to %d equal buckets of %v: choose a rounder window", r.Name, r.Window, minBuckets, maxBuckets, res)
	case r.Type != Absence && r.Baseline == nil && (!(r.Threshold > 0) || math.IsInf(r.Threshold, 0)):
		return fmt.Errorf("rule %s: threshold must be a finite number above 0", r.Name)
	case r.PerKey && r.GroupBy == nil:
		return fmt.Errorf("rule %s: per_key needs group_by", r.Name)
	case r.PerKey && r.Type != Rate:
		return fmt.Errorf("rule %s: per_key applies to rate rules only", r.Name)
	case r.Type == Distinct && r.Field == nil:
		return fmt.Errorf("rule %s: distinct needs a field", r.Name)
	case !(r.Clear >= 0 && r.Clear <= 1):
		return fmt.Errorf("rule %s: clear must be within 0..1", r.Name)
	case r.For < 0:
		return fmt.Errorf("rule %s: for must not be negative", r.Name)
	}
	return nil
}

// windowCuts reports whether a window can be cut into equal buckets of
// whole resolution steps (see [bucketWidth]).
func windowCuts(window, res time.Duration) bool {
	_, ok := bucketWidth(int64(window / res))
	return ok
}

// WindowCuts reports whether window can be cut into equal buckets of
// whole steps of res, as the engine requires; config uses it to point at
// the window's line.
func WindowCuts(window, res time.Duration) bool {
	return window >= res && window%res == 0 && windowCuts(window, res)
}

func (b *Baseline) validate() error {
	finite := func(v float64) bool { return v >= 0 && !math.IsInf(v, 0) && !math.IsNaN(v) }
	switch {
	case !finite(b.Factor) || !finite(b.Sigmas) || !finite(b.Floor):
		return errors.New("factor, sigmas and floor must be finite numbers ≥ 0")
	case !(b.Floor > 0):
		return errors.New("floor must be above 0: a learned normal of 0 must not page at 0")
	case b.Factor == 0 && b.Sigmas == 0:
		return errors.New("needs a factor or sigmas")
	case b.Factor != 0 && b.Factor <= 1:
		return errors.New("factor must be above 1")
	case b.HalfLife <= 0:
		return errors.New("half_life must be above 0")
	case b.Warmup < 0:
		return errors.New("warmup must not be negative")
	}
	return nil
}
