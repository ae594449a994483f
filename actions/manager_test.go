package actions

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/alert"
)

var t0 = time.Date(2026, 11, 27, 1, 20, 0, 0, time.UTC)

// at is t0 plus a duration in a compact form.
func at(d time.Duration) time.Time { return t0.Add(d) }

func fire(rule string, t time.Time) alert.Alert {
	return alert.Alert{Rule: rule, State: alert.Firing, Time: t, Since: t, Keys: []alert.KeyCount{{Key: "203.0.113.7", Count: 9}}}
}

func resolve(rule string, t time.Time) alert.Alert {
	return alert.Alert{Rule: rule, State: alert.Resolved, Time: t}
}

// flagAction is the feature-flag flip, on two rules.
func flagAction(t testing.TB, mod func(*Action)) *Action {
	t.Helper()
	do, err := NewWebhook(WebhookOptions{Method: "PATCH", URL: "https://flags.example.com/api/flags/signups", Body: `{"enabled": false}`})
	if err != nil {
		t.Fatal(err)
	}
	undo, err := NewWebhook(WebhookOptions{Method: "PATCH", URL: "https://flags.example.com/api/flags/signups", Body: `{"enabled": true}`})
	if err != nil {
		t.Fatal(err)
	}
	a := &Action{Name: "signups-off", Rules: []string{"signup-burst", "signup-spread"}, Do: do, Undo: undo,
		RevertAfter: 10 * time.Minute, Cooldown: 30 * time.Minute, MaxPerHour: 2, MaxPerDay: 3}
	if mod != nil {
		mod(a)
	}
	return a
}

// plan runs a manager in plan mode and returns what it planned, one line
// per entry: "01:20:00 apply planned signup-burst".
func planned(entries []Entry) []string {
	var out []string
	for _, e := range entries {
		s := fmt.Sprintf("%s %s %s %s", e.EventTime.Format("15:04:05"), e.Phase, e.Outcome, e.Rule)
		if e.Reason != "" {
			s += " (" + strings.SplitN(e.Reason, ":", 2)[0] + ")"
		}
		out = append(out, s)
	}
	return out
}

func newPlanner(acts ...*Action) (*Manager, *[]Entry) {
	var got []Entry
	m := NewManager(Options{Actions: acts, Plan: func(e Entry) { got = append(got, e) }})
	return m, &got
}

func TestManager_episode(t *testing.T) {
	tests := []struct {
		name   string
		mod    func(*Action)
		events []alert.Alert
		end    time.Time
		want   []string
	}{{
		name: "apply once, revert after the quiet period",
		events: []alert.Alert{fire("signup-burst", at(1*time.Second)), fire("signup-spread", at(5*time.Second)),
			resolve("signup-burst", at(2*time.Minute)), resolve("signup-spread", at(3*time.Minute))},
		end:  at(20 * time.Minute),
		want: []string{"01:20:01 apply planned signup-burst", "01:33:00 revert planned signup-burst"},
	}, {
		name:   "never reverted while a rule fires",
		events: []alert.Alert{fire("signup-burst", at(0)), resolve("signup-burst", at(time.Minute)), fire("signup-spread", at(2*time.Minute))},
		end:    at(5 * time.Hour),
		want:   []string{"01:20:00 apply planned signup-burst"},
	}, {
		name: "a firing in the quiet period keeps the remedy on",
		events: []alert.Alert{fire("signup-burst", at(0)), resolve("signup-burst", at(time.Minute)),
			fire("signup-burst", at(9*time.Minute)), resolve("signup-burst", at(10*time.Minute))},
		end:  at(time.Hour),
		want: []string{"01:20:00 apply planned signup-burst", "01:40:00 revert planned signup-burst"},
	}, {
		name: "max duration cuts the quiet period short",
		mod:  func(a *Action) { a.MaxDuration = 30 * time.Minute },
		events: []alert.Alert{fire("signup-burst", at(0)), resolve("signup-burst", at(25*time.Minute)),
			fire("signup-spread", at(time.Hour)), resolve("signup-spread", at(2*time.Hour))},
		end:  at(3 * time.Hour),
		want: []string{"01:20:00 apply planned signup-burst", "01:50:00 revert planned signup-burst", "02:20:00 apply planned signup-spread", "03:20:00 revert planned signup-spread"},
	}, {
		name:   "max duration waits for the rule to resolve",
		mod:    func(a *Action) { a.MaxDuration = 30 * time.Minute },
		events: []alert.Alert{fire("signup-burst", at(0)), resolve("signup-burst", at(45*time.Minute))},
		end:    at(3 * time.Hour),
		want:   []string{"01:20:00 apply planned signup-burst", "02:05:00 revert planned signup-burst"},
	}, {
		name: "cooldown holds back a second application",
		events: []alert.Alert{fire("signup-burst", at(0)), resolve("signup-burst", at(time.Minute)),
			fire("signup-burst", at(20*time.Minute)), resolve("signup-burst", at(21*time.Minute)),
			fire("signup-burst", at(40*time.Minute))},
		end: at(time.Hour),
		want: []string{"01:20:00 apply planned signup-burst", "01:31:00 revert planned signup-burst",
			"01:40:00 apply skipped signup-burst (cooldown)", "02:00:00 apply planned signup-burst"},
	}, {
		name: "caps per hour and per day",
		mod:  func(a *Action) { a.Cooldown, a.RevertAfter = 0, time.Minute },
		events: []alert.Alert{
			fire("signup-burst", at(0)), resolve("signup-burst", at(time.Minute)),
			fire("signup-burst", at(10*time.Minute)), resolve("signup-burst", at(11*time.Minute)),
			fire("signup-burst", at(20*time.Minute)), resolve("signup-burst", at(21*time.Minute)), // third in the hour
			fire("signup-burst", at(2*time.Hour)), resolve("signup-burst", at(2*time.Hour+time.Minute)), // third in the day
			fire("signup-burst", at(4*time.Hour)), // fourth in the day
			fire("signup-burst", at(24*time.Hour+time.Second)),
		},
		end: at(25 * time.Hour),
		want: []string{"01:20:00 apply planned signup-burst", "01:22:00 revert planned signup-burst",
			"01:30:00 apply planned signup-burst", "01:32:00 revert planned signup-burst",
			"01:40:00 apply skipped signup-burst (cap)",
			"03:20:00 apply planned signup-burst", "03:22:00 revert planned signup-burst",
			"05:20:00 apply skipped signup-burst (cap)",
			"01:20:01 apply planned signup-burst"},
	}, {
		name:   "dry run",
		mod:    func(a *Action) { a.DryRun = true },
		events: []alert.Alert{fire("signup-burst", at(0)), resolve("signup-burst", at(time.Minute))},
		end:    at(time.Hour),
		want:   []string{"01:20:00 apply dry_run signup-burst", "01:31:00 revert dry_run signup-burst"},
	}, {
		name:   "rules that do not opt in do nothing",
		events: []alert.Alert{fire("client-flood", at(0)), resolve("client-flood", at(time.Minute))},
		end:    at(time.Hour),
	}, {
		name:   "no revert configured: the episode just ends",
		mod:    func(a *Action) { a.Undo, a.Cooldown = nil, 0 },
		events: []alert.Alert{fire("signup-burst", at(0)), resolve("signup-burst", at(time.Minute)), fire("signup-burst", at(12*time.Minute))},
		end:    at(time.Hour),
		want:   []string{"01:20:00 apply planned signup-burst", "01:32:00 apply planned signup-burst"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, got := newPlanner(flagAction(t, tt.mod))
			for _, a := range tt.events {
				m.Handle(a)
			}
			m.Advance(tt.end)
			if diff := cmp.Diff(tt.want, planned(*got)); diff != "" {
				t.Errorf("planned (-want +got):\n%s", diff)
			}
		})
	}
}

func TestManager_pause(t *testing.T) {
	m, got := newPlanner(flagAction(t, func(a *Action) { a.Cooldown = 0 }))
	m.Handle(fire("signup-burst", at(0)))
	m.Pause()
	m.Handle(resolve("signup-burst", at(time.Minute)))
	m.Advance(at(20 * time.Minute)) // the remedy already on is still undone
	m.Handle(fire("signup-burst", at(30*time.Minute)))
	m.Handle(resolve("signup-burst", at(31*time.Minute)))
	m.Resume()
	m.Handle(fire("signup-burst", at(40*time.Minute)))
	want := []string{"01:20:00 apply planned signup-burst", "01:31:00 revert planned signup-burst",
		"01:50:00 apply skipped signup-burst (paused (sentinel actions resume lifts it))", "02:00:00 apply planned signup-burst"}
	if diff := cmp.Diff(want, planned(*got)); diff != "" {
		t.Errorf("planned (-want +got):\n%s", diff)
	}
	if m.Status().Paused {
		t.Error("Status().Paused after Resume")
	}
}

// TestManager_raiseIsNoFiring: a rule raised to critical while it fires
// (alert.Alert.Escalated) is its episode's, not a new firing: an apply
// held back by a pause when the episode began is not made at the raise,
// after the pause was lifted; the next episode applies.
func TestManager_raiseIsNoFiring(t *testing.T) {
	m, got := newPlanner(flagAction(t, func(a *Action) { a.Cooldown = 0 }))
	m.Pause()
	m.Handle(fire("signup-burst", at(0)))
	m.Resume()
	raised := fire("signup-burst", at(7*time.Second))
	raised.Escalated, raised.Severity = true, alert.Critical
	m.Handle(raised)
	m.Handle(resolve("signup-burst", at(time.Minute)))
	m.Handle(fire("signup-burst", at(10*time.Minute)))
	want := []string{"01:20:00 apply skipped signup-burst (paused (sentinel actions resume lifts it))", "01:30:00 apply planned signup-burst"}
	if diff := cmp.Diff(want, planned(*got)); diff != "" {
		t.Errorf("planned (-want +got):\n%s", diff)
	}
}

// TestManager_restart saves the state while a remedy is on, restores it
// in a new manager (through JSON, as the daemon's state file does) and
// checks that the revert still comes, at the same log time, and that
// the cooldown and the pause survive too.
func TestManager_restart(t *testing.T) {
	act := flagAction(t, nil)
	m1, got1 := newPlanner(act)
	m1.Handle(fire("signup-burst", at(0)))
	m1.Handle(resolve("signup-burst", at(time.Minute)))
	m1.Advance(at(5 * time.Minute))
	b, err := json.Marshal(m1.State())
	if err != nil {
		t.Fatal(err)
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	m2, got2 := newPlanner(flagAction(t, nil)) // the config read again
	m2.Restore(st)
	if eps := m2.Episodes(); len(eps) != 1 || eps[0].Status != StatusOn || !eps[0].RevertAt.Equal(at(11*time.Minute)) {
		t.Fatalf("restored episodes = %+v, want one on, reverted at 01:31:00", eps)
	}
	m2.Advance(at(10 * time.Minute))
	if len(*got2) != 0 {
		t.Fatalf("reverted early: %v", planned(*got2))
	}
	m2.Advance(at(11 * time.Minute))
	m2.Handle(fire("signup-burst", at(15*time.Minute))) // within the cooldown of the first apply
	want := []string{"01:31:00 revert planned signup-burst", "01:35:00 apply skipped signup-burst (cooldown)"}
	if diff := cmp.Diff(want, planned(*got2)); diff != "" {
		t.Errorf("after restart (-want +got):\n%s", diff)
	}
	if len(*got1) != 1 {
		t.Errorf("before restart: %v, want the apply only", planned(*got1))
	}

	// An apply cut off by the stop is made again after the restart.
	var inFlight State
	inFlight.Episodes = []*Episode{{Action: act.Name, Alert: fire("signup-burst", at(0)), Status: StatusApplying, Applied: at(0), Firing: []string{"signup-burst"}}}
	m3, got3 := newPlanner(flagAction(t, nil))
	m3.Restore(inFlight)
	if diff := cmp.Diff([]string{"01:20:00 apply planned signup-burst"}, planned(*got3)); diff != "" {
		t.Errorf("apply in flight at the stop (-want +got):\n%s", diff)
	}
	if k := (*got3)[0].Key; k != "signups-off:signup-burst:"+fmt.Sprint(at(0).Unix())+":apply" {
		t.Errorf("idempotency key %q changed across the restart", k)
	}

	// A paused manager stays paused.
	m1.Pause()
	m4, _ := newPlanner(flagAction(t, nil))
	m4.Restore(m1.State())
	if !m4.Status().Paused {
		t.Error("pause lost across a restart")
	}

	// An action removed from the config drops its episode (logged).
	m5, _ := newPlanner()
	m5.Restore(st)
	if eps := m5.Episodes(); len(eps) != 0 {
		t.Errorf("episode of a removed action kept: %+v", eps)
	}
}

// TestManager_neverRevertsWhileARuleFires: a firing held back (here by
// the pause) still counts as firing, so the remedy a second rule applies
// is not reverted while the first one fires.
func TestManager_neverRevertsWhileARuleFires(t *testing.T) {
	m, got := newPlanner(flagAction(t, nil))
	m.Pause()
	m.Handle(fire("signup-burst", at(0)))
	m.Resume()
	m.Handle(fire("signup-spread", at(time.Minute)))
	m.Handle(resolve("signup-spread", at(2*time.Minute)))
	m.Advance(at(time.Hour))
	m.Handle(resolve("signup-burst", at(2*time.Hour)))
	m.Advance(at(3 * time.Hour))
	want := []string{"01:20:00 apply skipped signup-burst (paused (sentinel actions resume lifts it))",
		"01:21:00 apply planned signup-spread", "03:30:00 revert planned signup-spread"}
	if diff := cmp.Diff(want, planned(*got)); diff != "" {
		t.Errorf("planned (-want +got):\n%s", diff)
	}
}

// TestManager_reconcile: an episode whose rules no longer fire — a reload
// took the rule out of the action, or a restart restored the changed rule
// quiet — starts its quiet period instead of waiting forever.
func TestManager_reconcile(t *testing.T) {
	t.Run("reload drops the rule", func(t *testing.T) {
		m, got := newPlanner(flagAction(t, nil))
		m.Handle(fire("signup-burst", at(0)))
		m.SetActions([]*Action{flagAction(t, func(a *Action) { a.Rules = []string{"signup-spread"} })}, at(time.Minute))
		m.Advance(at(11 * time.Minute))
		want := []string{"01:20:00 apply planned signup-burst", "01:31:00 revert planned signup-burst"}
		if diff := cmp.Diff(want, planned(*got)); diff != "" {
			t.Errorf("planned (-want +got):\n%s", diff)
		}
	})
	t.Run("restart with the rule restarted quiet", func(t *testing.T) {
		m1, _ := newPlanner(flagAction(t, nil))
		m1.Handle(fire("signup-burst", at(0)))
		m2, got := newPlanner(flagAction(t, nil))
		m2.Restore(m1.State())
		m2.Reconcile(nil, at(5*time.Minute))
		m2.Advance(at(15 * time.Minute))
		if diff := cmp.Diff([]string{"01:35:00 revert planned signup-burst"}, planned(*got)); diff != "" {
			t.Errorf("planned (-want +got):\n%s", diff)
		}
	})
	t.Run("restart with the rule still firing", func(t *testing.T) {
		m1, _ := newPlanner(flagAction(t, nil))
		m1.Handle(fire("signup-burst", at(0)))
		m2, got := newPlanner(flagAction(t, nil))
		m2.Restore(m1.State())
		m2.Reconcile([]string{"signup-burst"}, at(5*time.Minute))
		m2.Advance(at(5 * time.Hour))
		if len(*got) != 0 {
			t.Errorf("reverted while firing: %v", planned(*got))
		}
	})
	t.Run("restart after the revert was removed from the config", func(t *testing.T) {
		m1, _ := newPlanner(flagAction(t, nil))
		m1.Handle(fire("signup-burst", at(0)))
		m1.Handle(resolve("signup-burst", at(time.Minute)))
		m1.Advance(at(20 * time.Minute)) // planned: reverted; make it look under way
		st := m1.State()
		st.Episodes = []*Episode{{Action: "signups-off", Alert: fire("signup-burst", at(0)), Status: StatusReverting, Applied: at(0)}}
		m2, got := newPlanner(flagAction(t, func(a *Action) { a.Undo = nil }))
		m2.Restore(st) // must not run a revert it no longer has
		if len(*got) != 0 || len(m2.Episodes()) != 0 {
			t.Errorf("planned %v, episodes %+v; want the episode dropped (logged)", planned(*got), m2.Episodes())
		}
	})
}

// TestManager_reloadKeepsRevert: a reload that removes the action of a
// remedy on, or takes its revert away, leaves the remedy reverted with
// the definition it was applied with (docs/actions.md, "Restarts").
func TestManager_reloadKeepsRevert(t *testing.T) {
	for _, tt := range []struct {
		name   string
		reload func(t *testing.T) []*Action
	}{
		{"action removed", func(*testing.T) []*Action { return nil }},
		{"revert removed", func(t *testing.T) []*Action { return []*Action{flagAction(t, func(a *Action) { a.Undo = nil })} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, got := newPlanner(flagAction(t, nil))
			m.Handle(fire("signup-burst", at(0)))
			m.SetActions(tt.reload(t), at(time.Minute))
			m.Handle(resolve("signup-burst", at(2*time.Minute)))
			m.Advance(at(20 * time.Minute))
			want := []string{"01:20:00 apply planned signup-burst", "01:32:00 revert planned signup-burst"}
			if p := planned(*got); !slices.Equal(p, want) {
				t.Fatalf("planned %q, want %q", p, want)
			}
			if r := (*got)[1].Request; r != "PATCH https://flags.example.com/api/flags/signups" {
				t.Errorf("revert request %q, want the definition it was applied with", r)
			}
		})
	}
}

// TestManager_restartEdges: a restart without the log's clock starts the
// quiet period at the first time it learns, not at year 1; an action
// that never had a revert keeps its episode across a restart; a
// re-apply after a revert honours the pause (TestManager_reapplyHonoursPause).
func TestManager_restartEdges(t *testing.T) {
	t.Run("no clock", func(t *testing.T) {
		m1, _ := newPlanner(flagAction(t, nil))
		m1.Handle(fire("signup-burst", at(0)))
		m2, got := newPlanner(flagAction(t, nil))
		m2.Restore(m1.State())
		m2.Reconcile(nil, time.Time{}) // the engine state was not restored
		m2.Advance(at(time.Hour))      // the first time the manager learns
		m2.Advance(at(time.Hour + 9*time.Minute))
		if len(*got) != 0 {
			t.Fatalf("reverted before its quiet period: %v", planned(*got))
		}
		m2.Advance(at(time.Hour + 10*time.Minute))
		if diff := cmp.Diff([]string{"02:30:00 revert planned signup-burst"}, planned(*got)); diff != "" {
			t.Errorf("planned (-want +got):\n%s", diff)
		}
	})
	t.Run("no revert configured", func(t *testing.T) {
		noUndo := func(a *Action) { a.Undo = nil }
		m1, _ := newPlanner(flagAction(t, noUndo))
		m1.Handle(fire("signup-burst", at(0)))
		m2, got := newPlanner(flagAction(t, noUndo))
		m2.Restore(m1.State())
		m2.Reconcile([]string{"signup-burst"}, at(time.Minute))
		m2.Handle(fire("signup-spread", at(2*time.Minute)))
		if len(m2.Episodes()) != 1 || len(*got) != 0 {
			t.Errorf("episodes %+v, planned %v: want the episode kept, nothing applied twice", m2.Episodes(), planned(*got))
		}
	})
}

// TestManager_release: rules another daemon follows now (a fleet's new
// evaluator) are let go of: an episode that keeps a rule of its own firing
// goes on, and reverts once that one is quiet; an episode left with none
// ends without a revert (the other daemon reverts), and the rule firing
// again here later applies the remedy anew (the guardrails off: they
// count the applications here, as before).
func TestManager_release(t *testing.T) {
	m, got := newPlanner(flagAction(t, func(a *Action) { a.Cooldown, a.MaxPerHour, a.MaxPerDay = 0, 0, 0 }))
	m.Handle(fire("signup-burst", at(1*time.Second)))
	m.Handle(fire("signup-spread", at(2*time.Second)))
	if ended := m.Release([]string{"signup-burst"}); len(ended) != 0 {
		t.Errorf("Release(signup-burst) ended %v, want nothing: signup-spread still fires", ended)
	}
	m.Handle(resolve("signup-spread", at(1*time.Minute)))
	m.Advance(at(12 * time.Minute))
	m.Handle(fire("signup-burst", at(20*time.Minute)))
	if ended := m.Release([]string{"signup-burst", "signup-spread"}); !slices.Equal(ended, []string{"signups-off"}) {
		t.Errorf("Release() ended %v, want [signups-off]", ended)
	}
	m.Advance(at(40 * time.Minute)) // no revert: not this manager's to make
	if eps := m.State().Episodes; len(eps) != 0 {
		t.Errorf("episodes after the release: %+v, want none", eps)
	}
	m.Handle(fire("signup-burst", at(50*time.Minute)))
	want := []string{"01:20:01 apply planned signup-burst", "01:31:00 revert planned signup-burst",
		"01:40:00 apply planned signup-burst", "02:10:00 apply planned signup-burst"}
	if diff := cmp.Diff(want, planned(*got)); diff != "" {
		t.Errorf("planned (-want +got):\n%s", diff)
	}
}
