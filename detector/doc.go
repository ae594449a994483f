// Package detector runs rules over log events on event time: it decides
// when a rule fires and resolves, and builds the alert that says so. It
// does no I/O, never reads the clock and links no network code; the
// daemon and replay feed it events and take its alerts.
//
// # The parts
//
//   - [Engine] owns the rules and the clock: [Engine.Observe] moves every
//     window to an event's time (holding back a lone event dated far
//     ahead), [Engine.Advance] applies live mode's wall-clock ticks, and
//     [Engine.Flush] ends a replay. It evaluates each rule at its bucket
//     boundaries and emits the transitions in event-time order.
//   - [Event] is an event as rules read it: the parsed line and what the
//     engine derives from it once (the client's network), in buffers of
//     its own, so that nothing per event allocates and no two engines
//     share mutable state.
//   - [Cond] filters events, [Field] reads a value from one.
//   - A [Preparer] (prepare.go) matches events against an engine's rules
//     on another goroutine, ahead of it (a two-core replay's reading
//     goroutine): [Engine.ObservePrepared] then skips the match of every
//     rule and evidence share whose condition depends on the event alone,
//     among the first 64 of each; it still tests those that read state
//     (the cold field), whole, and those past the 64th.
//   - A rule's state (rulestate.go) is its window, its kind, its
//     condition and its alert state (inactive, pending, firing).
//   - The window (window.go) is what every kind shares: a ring of buckets
//     with their counts and their Space-Saving summaries of group_by keys,
//     whose complete buckets are summed in a [Counter] that knows its
//     busiest key in O(1).
//   - A kind (kind.go) is what a detector type measures over the window:
//     rate.go, perkey.go, distinct.go, ratio.go, absence.go. The condition
//     compares the kind's value with a fixed threshold or with a learned
//     normal (baseline.go), over any kind's value.
//   - Before an event reaches a rule's window, two options may keep it
//     out: beyond.go leaves each key's busiest value of a field out of a
//     per-key rule (network-flood: a network's busiest address), and a
//     rule's min_span caps what each bucket counts (rulestate.go, full),
//     and its yield_to leaves out a bucket in which a burst rule fired
//     (bursts.go: a burst is not a drip).
//   - notice.go says once what the log cannot show (a field missing) and
//     names a proxy in front, which per-client rules then leave out.
//
// # Adding a detector kind
//
// A new kind touches four files (docs/architecture.md, "Where to add"):
//
//  1. detector/<kind>.go: its [Type] constant; a type implementing the
//     kind interface (embed basicKind for the defaults), keeping what it
//     needs per ring slot in slices indexed by slot; a constructor
//     `func(*ruleState) kind`; and, if the kind requires something of a
//     rule, a `func(*Rule) []Problem` for its entry. Implement slotSaver
//     if it keeps per-slot state (its part of the snapshot), sincer if its
//     episode starts elsewhere than when the condition began.
//  2. detector/kind.go: one entry in kindTable (type, constructor, the
//     unit its threshold is written in, its checks), from which [Types],
//     config's list of types and `sentinel check` take it.
//  3. detector/<kind>_test.go: the kind through an [Engine].
//  4. README.md's "Detectors" table: what it measures, its unit, its
//     parameters.
//
// A kind with a parameter of its own (a new YAML key) also adds the field
// to [Rule] (rule.go) and its key to config/decode.go.
//
// The value must be computable in O(1) (or amortized O(1) per event and
// per boundary): every boundary measures it exactly, and traces record
// that measure.
//
// # Invariants
//
// Cost per event is O(1) and memory per rule is bounded whatever the
// traffic (Space-Saving summaries of fixed capacity, sketches of fixed
// size), and allocated as events arrive, so that idle rules cost little.
// An alert's numbers are measured on the complete buckets of the window at
// a boundary of event time: a replay gives the same alerts at the same log
// times as the live daemon did. Attacker-controlled text (keys, samples)
// is carried as is: whoever displays it escapes it.
package detector
