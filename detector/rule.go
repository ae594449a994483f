package detector

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/sentinel-dev/sentinel/alerts"
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
)

// Rule is one compiled rule: which events count, how they are measured,
// and when that fires. Build it through the config package, which checks
// every field and reports errors with file:line; [Rule.Validate] repeats
// the checks the engine relies on.
type Rule struct {
	Name        string
	Description string
	Severity    alerts.Severity

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
}

// DefaultClear is the hysteresis ratio used when a rule sets none: a rule
// that fired at 20/s resolves below 16/s, so a rate hovering at its
// threshold does not flap.
const DefaultClear = 0.8

// Validate reports the first problem that would stop the engine from
// running the rule.
func (r *Rule) Validate(res time.Duration) error {
	switch {
	case r.Name == "":
		return errors.New("rule has no name")
	case r.Type != Rate && r.Type != Distinct:
		return fmt.Errorf("rule %s: unknown detector %q", r.Name, r.Type)
	case r.Window < res || r.Window%res != 0:
		return fmt.Errorf("rule %s: window %v must be a positive multiple of the resolution %v", r.Name, r.Window, res)
	case !windowCuts(r.Window, res):
		return fmt.Errorf("rule %s: window %v cannot be cut into %d to %d equal buckets of %v: choose a rounder window", r.Name, r.Window, minBuckets, maxBuckets, res)
	case !(r.Threshold > 0) || math.IsInf(r.Threshold, 0):
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

// unit is the unit of the rule's value, as shown in alerts.
func (r *Rule) unit() string {
	if r.Type == Distinct {
		return "distinct"
	}
	return "/s"
}
