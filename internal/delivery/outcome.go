package delivery

// Outcome is how one delivery attempt, or a delivery never attempted,
// ended: the outcome label of sentinel_notifications_total and
// sentinel_actions_total, the outcome of an actions audit entry and of
// the status API. Notifications and actions share the words; each uses
// the ones that apply to it (see [Outcomes]).
type Outcome string

// Outcomes, the whole vocabulary.
const (
	// OK is an attempt that succeeded: a notification delivered, a
	// remedy's request made.
	OK Outcome = "ok"
	// Retrying is an attempt that failed and will be tried again.
	Retrying Outcome = "retrying"
	// Failed is an attempt that failed for good: a permanent error, or
	// the last of an action's retries.
	Failed Outcome = "failed"
	// Dropped is a notification never attempted: replaced by a newer one
	// of the same rule in a full queue.
	Dropped Outcome = "dropped"
	// Capped is a notification over a notifier's per-minute cap: summed
	// up in the minute's digest instead.
	Capped Outcome = "capped"
	// Silenced is a notification held back by a silence.
	Silenced Outcome = "silenced"
	// Skipped is an action a guardrail held back (the pause, a cooldown,
	// a cap); the audit entry's reason says which.
	Skipped Outcome = "skipped"
	// DryRun is an action logged, not made, as a dry run asks.
	DryRun Outcome = "dry_run"
	// Stopped is a revert whose retries were given up because a rule of
	// its action fired again: the remedy stays on.
	Stopped Outcome = "stopped"
	// Planned is an action a replay would have made; replay makes no
	// request, so this outcome is never counted in a metric.
	Planned Outcome = "planned"
)

// Outcomes lists every [Outcome], in the order of their documentation.
var Outcomes = []Outcome{OK, Retrying, Failed, Dropped, Capped, Silenced, Skipped, DryRun, Stopped, Planned}

// NotificationOutcomes are the outcomes a notification can have.
var NotificationOutcomes = []Outcome{OK, Retrying, Failed, Dropped, Capped, Silenced}

// ActionOutcomes are the outcomes an action's attempt can have in the
// daemon (replay adds [Planned]).
var ActionOutcomes = []Outcome{OK, Retrying, Failed, Skipped, DryRun, Stopped}
