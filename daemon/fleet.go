package daemon

import (
	"context"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/fleet"
)

// The fleet's hook into the daemon (README: "A fleet behind one load
// balancer"). With settings.fleet (or SENTINEL_REDIS_URL), the engine
// hands each fleet rule's complete buckets to the fleet node, which
// publishes them to Redis without ever blocking the loop; the engine's own
// transitions of fleet rules pass through the node, which holds them back
// while the fleet's evaluator speaks for the whole site; and the evaluator's
// transitions come back through fleetDeliver, to be saved, written, sent
// and acted on like the engine's. Without a fleet every hook is a no-op.

// newFleet builds the fleet node when the config names a Redis.
func (d *Daemon) newFleet(cfg *config.Config) error {
	if !cfg.Settings.Fleet.Enabled() {
		return nil
	}
	node, err := fleet.New(fleet.Options{Settings: cfg.Settings.Fleet, Rules: cfg.Rules, Engine: cfg.EngineOptions(),
		Deliver: d.fleetDeliver, Adopt: d.fleetAdopt, Release: d.fleetRelease, Logger: d.log, Now: d.now})
	if err != nil {
		return err
	}
	if err := node.Register(d.metrics.Registry()); err != nil {
		return err
	}
	d.fleet = node
	return nil
}

// fleetEngine hooks the fleet node into an engine's options.
func (d *Daemon) fleetEngine(eopts *detector.Options) {
	if d.fleet == nil {
		return
	}
	eopts.Delta = d.fleet.Delta // queues: never blocks
	emit := eopts.Emit
	eopts.Emit = func(a alert.Alert) {
		if d.fleet.Local(a) {
			emit(a)
		}
	}
}

// fleetDeliver delivers transitions of the fleet (the evaluator's, and
// local ones held back until a fallback) as the engine's own: saved,
// written, sent to the notifiers and handed to the actions. take runs
// under the lock, so that held transitions keep their order with the
// engine's.
func (d *Daemon) fleetDeliver(take func() []alert.Alert) {
	d.mu.Lock()
	for _, a := range take() {
		d.transition(a) // saved, written, grouped into an incident, acted on
	}
	d.groupDue()
	out, notes := d.afterBatch()
	d.mu.Unlock()
	d.send(out, notes)
}

// fleetAdopt takes the fleet rules firing when this node takes over as
// the fleet's evaluator: the actions, so that they revert their remedies
// when the rules resolve, and the notifications, as incidents already
// told (the evaluator before sent their first page), so that their
// resolution goes out, once; nothing is sent now.
func (d *Daemon) fleetAdopt(firing []alert.Alert) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, a := range firing {
		d.act.Handle(a)
		if d.group == nil {
			continue
		}
		a.Site, a.Labels = d.grouping.Site, d.grouping.Labels
		if told, ok := d.group.Adopt(a); ok {
			d.dispatch.Adopt(told)
			d.dirty = true
		}
	}
}

// fleetRelease lets go of the fleet rules firing here once another node
// evaluates them (this node's lease passed on, or it restarted while
// another took over): their incidents close without a notification and
// their remedies' episodes end without a revert, for the evaluator that
// adopted them sends their updates and resolution and reverts the
// remedies. Kept, a later firing of theirs here would be taken as a flap
// of an incident already told (no page) and find its remedy on (no
// apply), and a reminder would go out for an incident resolved elsewhere.
func (d *Daemon) fleetRelease(rules []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	left, closed := 0, []string(nil)
	if d.group != nil {
		left, closed = d.group.Release(rules)
		for _, key := range closed {
			d.dispatch.Forget(key)
		}
	}
	ended := d.act.Release(rules)
	if left == 0 && len(ended) == 0 {
		return
	}
	d.dirty = true
	evaluator := ""
	if st := d.fleetStatus(); st != nil {
		evaluator = st.Evaluator
	}
	d.log.Info("fleet: another node evaluates the fleet rules now: it follows their incidents and remedies, this node lets go of them",
		"evaluator", evaluator, "incidents_closed", closed, "rules_left", left, "episodes_ended", ended)
}

// fleetFiring adds, in a fleet, to the rules the restored engine fires
// the fleet rules an episode was saved with as firing: their firing is the
// fleet's, not this engine's, which held its own back. Taken as quiet, the
// remedy would be reverted after revert_after while the fleet still fires;
// kept, the node settles them once it knows who evaluates: this node
// adopts them (still firing) or lets go of them (another node evaluates,
// or the state says they are quiet; see fleetRelease).
func (d *Daemon) fleetFiring(firing []string, saved actions.State) []string {
	if d.fleet == nil {
		return firing
	}
	for _, ep := range saved.Episodes {
		for _, r := range ep.Firing {
			if d.fleetRule(r) && !slices.Contains(firing, r) {
				firing = append(firing, r)
			}
		}
	}
	return firing
}

// fleetRule reports whether the config's rule name is a fleet rule.
func (d *Daemon) fleetRule(name string) bool {
	for _, r := range d.cfg.Rules {
		if r.Name == name {
			return r.Fleet
		}
	}
	return false
}

// fleetClock tells the fleet node the engine's clock: past a step's end,
// it publishes the step. The caller holds mu.
func (d *Daemon) fleetClock() {
	if d.fleet != nil {
		d.fleet.Clock(d.eng.Clock())
	}
}

// fleetRun runs the fleet node in the daemon's group.
func (d *Daemon) fleetRun(ctx context.Context, g *errgroup.Group) {
	if d.fleet != nil {
		g.Go(func() error { return d.fleet.Run(ctx) })
	}
}

// fleetReload gives the fleet node a reloaded config's rules. The fleet's
// own settings are read at start only.
func (d *Daemon) fleetReload(cfg *config.Config) {
	if d.fleet == nil {
		if cfg.Settings.Fleet.Enabled() {
			d.log.Warn("fleet: settings.fleet is read at start only: restart to join the fleet")
		}
		return
	}
	if cfg.Settings.Fleet != d.cfg.Settings.Fleet {
		d.log.Warn("fleet: settings.fleet is read at start only: restart to apply its changes")
	}
	if err := d.fleet.SetRules(cfg.Rules, cfg.EngineOptions()); err != nil {
		d.log.Error("fleet: the reloaded rules are not used by the fleet", "err", err)
	}
}

// fleetStatus is the fleet's part of the status; nil without a fleet.
func (d *Daemon) fleetStatus() *fleet.Status {
	if d.fleet == nil {
		return nil
	}
	st := d.fleet.Status()
	return &st
}

// fleetMeasures replaces, in the engine's measures, those of the fleet
// rules with the fleet's while this node evaluates them: an incident's
// notification shows the site's rate, not this node's share of it.
func (d *Daemon) fleetMeasures(local []alert.Alert) []alert.Alert {
	if d.fleet == nil {
		return local
	}
	fleetwide := d.fleet.Measures()
	if len(fleetwide) == 0 {
		return local
	}
	byRule := make(map[string]alert.Alert, len(fleetwide))
	for _, m := range fleetwide {
		byRule[m.Rule] = m
	}
	for i, m := range local {
		if f, ok := byRule[m.Rule]; ok {
			local[i] = f
		}
	}
	return local
}
