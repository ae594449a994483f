// Package daemon is `sentinel run`: it follows the configured logs, feeds
// their events to the detector engine, writes alert transitions, saves its
// place and its windows so that a restart misses no line and sends no
// alert twice, reloads its rules without losing the windows of unchanged
// ones, and serves its status and metrics on a local HTTP API.
//
// One goroutine owns the engine (the loop); the API and reloads reach it
// under a mutex. The wall clock is read in one place, the injected Now,
// and only to advance the engine while the logs are quiet.
package daemon

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/fleet"
	"github.com/sentinel-dev/sentinel/links"
	"github.com/sentinel-dev/sentinel/parsers"
	"github.com/sentinel-dev/sentinel/server"
	"github.com/sentinel-dev/sentinel/source"
	"github.com/sentinel-dev/sentinel/state"
	"github.com/sentinel-dev/sentinel/tailer"
)

// Source is one log to follow: a path or glob and how to read it.
type Source struct {
	Pattern string
	Format  string // a format name, or "auto"
	Parser  parsers.Options
}

// Options configure a Daemon.
type Options struct {
	Config  *config.Config
	Sources []Source
	// Load reloads the config (SIGHUP, POST /reload); nil: reloads fail.
	Load     func() (*config.Config, error)
	StateDir string
	// FromStart reads files without a checkpoint from their beginning,
	// instead of their end.
	FromStart bool
	Poll      bool
	// Checkpoint is how often the state is saved (default 5 s); it is also
	// saved after every alert transition and at shutdown.
	Checkpoint time.Duration
	// Emit receives every alert transition, after the state that includes
	// it has been saved (the console).
	Emit func(alert.Alert) error
	// Routes are notifiers besides the config's own (Config.Notifiers,
	// the environment's included by whoever loaded it): in-process ones,
	// for tests. They are kept across reloads. Every notifier is delivered
	// to through a Dispatcher: retried, capped, and kept in the state
	// until delivered.
	Routes []alerts.Route
	// MaxPerMinute caps each notifier's notifications a minute (a digest
	// sums up the rest); 0 means alerts.DefaultMaxPerMinute.
	MaxPerMinute int
	// Host is the site's name when the config's settings.site gives none
	// (the machine's host name).
	Host string
	// RemindEvery, when set, overrides the config's settings.remind_every
	// (--remind-every).
	RemindEvery time.Duration
	// DryRun logs every action (the config's actions:) instead of making
	// its requests.
	DryRun bool
	// ActionBackoff is the first wait before an action's request is
	// retried (default 1 s); tests shorten it.
	ActionBackoff time.Duration
	Listen        string // the HTTP API's address; "" disables it
	Token         string
	Version       string
	Logger        *slog.Logger
	// Now is the wall clock; nil means time.Now. Tests inject their own.
	Now func() time.Time
	// Tap, if set, sees every line the daemon takes from the tailer, in
	// the order the engine gets them, before it is decoded; it is called
	// with the daemon's lock held and must not keep the line's Text.
	// Tests count lines with it.
	Tap func(tailer.Line)
}

// Daemon follows logs and runs the rules. Create it with New and call Run
// once.
type Daemon struct {
	opts     Options
	log      *slog.Logger
	now      func() time.Time
	metrics  *server.Metrics
	dispatch *alerts.Dispatcher // nil without routes
	group    *alerts.Grouper    // nil without routes; guarded by mu
	act      *actions.Manager
	audit    *actions.Audit
	links    *links.Server // nil without Options.Public
	started  time.Time
	fleet    *fleet.Node // nil without settings.fleet (daemon/fleet.go)

	// reloading serialises Reload, called by SIGHUP and POST /reload
	// alike: the config read last is the one swapped in last.
	reloading sync.Mutex

	mu      sync.Mutex // guards everything below
	cfg     *config.Config
	eng     *detector.Engine
	streams map[string]*stream // by path
	tl      *tailer.Tailer     // set by Run
	// positions are where a restart resumes each file: the Pos of its
	// last line processed (or the Before of its first line held).
	positions     map[tailer.FileID]tailer.Checkpoint
	tailPublished map[string]tailer.FileStats // the tailer's counters already in the metrics, by path
	pending       []alert.Alert               // transitions not yet saved and sent
	notes         []alert.Alert               // notifications not yet saved and submitted
	lastEvent     time.Time                   // newest event time seen
	lastWall      time.Time                   // wall time when it was seen
	dirty         bool                        // state changed since the last save
	publishedLate uint64                      // late events already counted in the metrics
	future        futureLines                 // lines dated ahead of the wall clock
	savedActs     uint64                      // act.Changes() at the last save
	// lineRead is when the line being taken was read from its file (zero
	// between lines): the start of its transitions' latency.
	lineRead time.Time
	grouping alerts.GroupOptions // the config's notification settings, read at start
	public   *config.Public      // settings.public, read at start
	routes   []alerts.Route      // the notifiers in use: the config's, then Options.Routes

	// beforeSave, if set (by tests), runs at the start of every save.
	beforeSave func()

	// untold holds, by rule and state, when the earliest transition no
	// notification has told yet was made (latency.go).
	untold map[untoldKey]time.Time

	toldMu sync.Mutex           // guards told
	told   map[string]time.Time // a notification's delivery key → when the earliest transition it tells was made
}

// stream is one followed file.
type stream struct {
	s         *source.Stream
	lastLine  time.Time // wall time of its last line
	published source.Stats
	// held are the files (of this path) whose saved position is before
	// lines held for format detection.
	held    map[tailer.FileID]bool
	lastPos map[tailer.FileID]tailer.Checkpoint // the position after each file's last line
	last    tailer.Checkpoint                   // the position after the path's last line
	warned  bool                                // its unrecognised format was logged
	// lagBytes are its unread bytes, at the last publish.
	lagBytes int64
	// newest is the newest event time read from it: its lag is at most
	// the time since.
	newest time.Time
}

// New returns a Daemon, restoring the state saved in opts.StateDir.
func New(opts Options) (*Daemon, error) {
	if opts.Checkpoint <= 0 {
		opts.Checkpoint = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Emit == nil {
		opts.Emit = func(alert.Alert) error { return nil }
	}
	d := &Daemon{opts: opts, log: opts.Logger, now: opts.Now, metrics: server.NewMetrics(), cfg: opts.Config,
		streams: map[string]*stream{}, positions: map[tailer.FileID]tailer.Checkpoint{},
		tailPublished: map[string]tailer.FileStats{}, started: opts.Now(),
		untold: map[untoldKey]time.Time{}, told: map[string]time.Time{}}
	if err := d.newFleet(opts.Config); err != nil {
		return nil, err
	}
	eng, err := d.newEngine(opts.Config)
	if err != nil {
		return nil, err
	}
	d.eng = eng
	// The notification settings: the config's, read at start only.
	cfg := opts.Config
	d.grouping = cfg.GroupOptions(opts.Host)
	if opts.RemindEvery != 0 {
		d.grouping.RemindEvery = opts.RemindEvery
	}
	// Public, when set (settings.public), serves the signed links every
	// notification carries — silence, run or revert an action, stop
	// reminders — on a public listener; its key, the used links and their
	// audit are kept in StateDir (README: Acting from your phone).
	d.public = cfg.Settings.Public
	if d.public != nil {
		if d.links, err = d.newLinks(*d.public); err != nil {
			return nil, err
		}
	}
	d.routes = d.routesFor(cfg)
	if len(d.routes) > 0 {
		silences := map[string]time.Time{}
		for _, s := range cfg.Silences {
			silences[s.Rule] = s.Until
		}
		dopts := alerts.DispatcherOptions{Routes: d.routes, MaxPerMinute: opts.MaxPerMinute, Silences: silences, DrainTimeout: drainTimeout,
			Site: d.grouping.Site, Labels: d.grouping.Labels, Logger: opts.Logger, Outcome: d.metrics.Notification, Now: opts.Now,
			Delivered: d.delivered}
		if d.links != nil {
			dopts.Links = d.linksFor
		}
		d.dispatch = alerts.NewDispatcher(dopts)
		g := d.grouping
		g.Overlap = func(a, b string) float64 { return d.eng.Overlap(a, b) } // under mu, as every Grouper call
		d.group = alerts.NewGrouper(g)
		for _, r := range d.routes {
			d.metrics.AddNotifier(r.Name)
		}
	}
	auditPath := ""
	if opts.StateDir != "" {
		auditPath = filepath.Join(opts.StateDir, AuditFile)
	}
	d.audit = actions.NewAudit(auditPath)
	d.act = actions.NewManager(actions.Options{Actions: opts.Config.Actions, DryRun: opts.DryRun, Audit: d.audit,
		Logger: opts.Logger, Now: opts.Now, MinBackoff: opts.ActionBackoff,
		Outcome: d.metrics.Action, Latency: d.actionLatency})
	d.metrics.SetBuildInfo(opts.Version)
	d.metrics.ConfigLoaded(d.started)
	for _, r := range opts.Config.Rules {
		d.metrics.AddRule(r.Name)
	}
	for _, a := range opts.Config.Actions {
		d.metrics.AddAction(a.Name)
	}
	for _, s := range opts.Sources {
		if !strings.ContainsAny(s.Pattern, "*?[") {
			d.metrics.AddSource(s.Pattern) // a glob's files appear with their first line
		}
	}
	return d, nil
}

// AuditFile is the name of the actions' audit log in the state directory.
const AuditFile = "actions.jsonl"

// newEngine builds an engine for cfg whose transitions queue in pending
// and reach the actions at once, so that the state saved with a
// transition already holds the action it started.
func (d *Daemon) newEngine(cfg *config.Config) (*detector.Engine, error) {
	eopts := cfg.EngineOptions()
	eopts.Notice = func(n detector.Notice) {
		args := []any{"kind", n.Kind}
		if n.Field != "" {
			args = append(args, "field", n.Field)
		}
		if len(n.Rules) > 0 {
			args = append(args, "rules", n.Rules)
		}
		d.log.Warn("notice", append(args, "text", n.Text)...)
	}
	eopts.Emit = d.transition
	d.fleetEngine(&eopts)
	return detector.NewEngine(cfg.Rules, eopts)
}

// transition takes one of the engine's transitions. Its action's request
// goes first: Handle queues it for the actions' own goroutine, which
// makes it at once, while this one goes on with the batch, then saves
// the state, then writes the transition and submits the notifications
// (afterBatch, send). A crash before the save repeats the request after
// the restart, under the same idempotency key: the lines after the last
// save are read again, and fire at the same event time. Then the
// transition is queued in pending and handed to the incidents. The caller
// holds mu (the loop, while the engine runs).
func (d *Daemon) transition(a alert.Alert) {
	a.Site, a.Labels = d.grouping.Site, d.grouping.Labels
	now := time.Now() // durations: the monotonic clock, whatever d.now is
	d.act.Handle(a)
	if !d.lineRead.IsZero() {
		d.metrics.ObserveLatency(server.LatencyReadToTransition, now.Sub(d.lineRead))
	}
	d.pending = append(d.pending, a)
	if d.group != nil {
		if k := (untoldKey{a.Rule, a.State}); d.untold[k].IsZero() {
			d.untold[k] = now
		}
		d.group.Add(a)
	}
}

// groupDue takes the notifications of incidents due on the engine's
// clock, measured now. The caller holds mu.
func (d *Daemon) groupDue() {
	if d.group == nil {
		return
	}
	now := d.eng.Clock()
	if next := d.group.Next(); next.IsZero() || now.Before(next) {
		return
	}
	if notes := d.group.Due(now, d.measures); len(notes) > 0 {
		for _, n := range notes {
			d.noteTold(n)
		}
		d.notes = append(d.notes, notes...)
		d.dirty = true
	}
}

// measures returns every rule's measures now, for the notifications of
// the incidents: what the engine's view shows. The caller holds mu.
func (d *Daemon) measures() []alert.Alert {
	views := d.eng.View()
	out := make([]alert.Alert, len(views))
	for i, v := range views {
		out[i] = alert.Alert{Rule: v.Name, Value: v.Value, Threshold: v.Threshold, Current: v.Current, Count: v.Count, Hits: v.Hits,
			Baseline: v.Baseline, Spread: v.Spread, DistinctOf: v.DistinctOf, Distinct: v.Distinct, Keys: v.Keys, Peak: v.Peak}
	}
	return d.fleetMeasures(out)
}

// Events returns how many events the engine has counted, across restarts
// (the count is part of the saved state).
func (d *Daemon) Events() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.eng.Stats().Events
}

// Metrics returns the daemon's metrics (for tests).
func (d *Daemon) Metrics() *server.Metrics { return d.metrics }

// Run follows the logs until ctx ends, then saves the state and returns
// nil; a failure to start (an unusable state dir, an API address in use)
// is returned as an error.
func (d *Daemon) Run(ctx context.Context) error {
	saved, err := state.Load(d.opts.StateDir)
	switch {
	case errors.Is(err, state.ErrUndecodable):
		// A torn or foreign file: keep it for a look, start afresh.
		d.log.Error("state unreadable: set aside, starting afresh", "err", err)
		if err := state.SetAside(d.opts.StateDir); err != nil {
			return err
		}
		saved = nil
	case err != nil:
		// A newer version, or an I/O error: do not overwrite what a newer
		// sentinel or a passing fault left.
		return fmt.Errorf("%w (move it away to start afresh)", err)
	}
	if err := state.CheckWritable(d.opts.StateDir); err != nil {
		return err
	}
	var checkpoints []tailer.Checkpoint
	var savedAt time.Time
	// Under mu: the API (Status, Events) may be asked before Run returns.
	d.mu.Lock()
	if saved != nil {
		checkpoints, savedAt = saved.Checkpoints, saved.Saved
		for _, c := range checkpoints {
			d.positions[c.ID()] = c
		}
		if saved.Engine != nil && saved.Engine.Watermark.After(d.now().Add(d.futureLimit())) {
			// Saved by a version that let a line dated in the future move
			// the clock: restoring it would leave every rule blind.
			d.log.Warn("engine state not restored: its clock is ahead of this machine's; windows start afresh",
				"saved_clock", saved.Engine.Watermark.Format(time.RFC3339))
			saved.Engine = nil
		}
		if saved.Engine != nil {
			restored, err := d.eng.Restore(saved.Engine)
			if err != nil {
				d.log.Warn("engine state not restored", "err", err)
			} else {
				d.log.Info("resumed", "rules", restored, "files", len(checkpoints))
				// The log's clock resumes where it was: the quiet advance
				// must not wait for a new line to know the time.
				d.lastEvent, d.lastWall = d.eng.Watermark(), saved.Saved
			}
		}
		if saved.Actions != nil {
			d.act.Restore(*saved.Actions)
			// A rule changed since the save restarts quiet: the episode
			// it held open must not wait for a resolve that never comes.
			d.act.Reconcile(d.fleetFiring(d.eng.Firing(), *saved.Actions), d.eng.Clock())
		}
		if d.dispatch != nil {
			for r, until := range saved.Silences { // set through the API before the stop
				if _, ok := d.cfg.RuleLines[r]; ok && until.After(d.now()) { // an ended one must not lift the config's
					d.dispatch.Silence(r, until)
				}
			}
			for _, a := range saved.Pending { // undelivered before the stop
				d.dispatch.Restore(a)
			}
			// The incidents told before the stop: told on every route
			// again, so that their updates and resolution go out.
			for _, told := range d.group.Restore(saved.Incidents) {
				d.dispatch.Adopt(told)
			}
		}
	}
	d.mu.Unlock()
	var srv *server.Server
	if d.opts.Listen != "" { // before any goroutine: a bad address must not leave one running
		srv, err = server.New(server.Options{Addr: d.opts.Listen, Token: d.opts.Token, Status: d.Status,
			Reload: d.Reload, Silence: d.Silence, Silences: d.Silences, PauseActions: d.PauseActions, Metrics: d.metrics, Logger: d.log})
		if err != nil {
			return err
		}
	}
	patterns := make([]string, len(d.opts.Sources))
	for i, s := range d.opts.Sources {
		patterns[i] = s.Pattern
	}
	start := tailer.FromEnd
	if d.opts.FromStart {
		start = tailer.FromStart
	}
	tl, err := tailer.New(tailer.Options{Patterns: patterns, Start: start, Checkpoints: checkpoints, Saved: savedAt,
		Poll: d.opts.Poll, Logger: d.log})
	if err != nil {
		return fmt.Errorf("follow logs: %w", err)
	}
	if d.links != nil { // bound before the first notification, which needs its address
		if _, err := d.links.Listen(ctx); err != nil {
			return err
		}
	}
	d.mu.Lock()
	d.tl = tl
	d.mu.Unlock()

	d.log.Info("started", "sources", len(d.opts.Sources), "rules", len(d.cfg.Rules), "state_dir", d.opts.StateDir, "listen", d.opts.Listen)
	d.mu.Lock()
	routes := d.routes
	d.mu.Unlock()
	logRoutes(d.log, routes)
	if len(routes) == 0 {
		d.log.Warn("no notifier configured: alerts go to stdout only",
			"hint", "set SENTINEL_NTFY_URL, SENTINEL_SLACK_WEBHOOK_URL or another variable of 'sentinel test-alert --help', or a config's notifiers:")
	}
	// The dispatcher outlives the rest: once they stopped, it delivers
	// the last notifications and drains its queues (drainTimeout).
	dctx, stopDispatch := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDispatch()
	dispatched := make(chan struct{})
	if d.dispatch != nil {
		go func() { d.dispatch.Run(dctx); close(dispatched) }()
	} else {
		close(dispatched)
	}
	g, ctx := errgroup.WithContext(ctx)
	lines := make(chan tailer.Line, 4096)
	g.Go(func() error {
		if err := tl.Run(ctx, lines); err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("follow logs: %w", err)
		}
		return nil
	})
	if srv != nil {
		g.Go(func() error { return srv.Run(ctx) })
	}
	if d.links != nil {
		d.log.Info("public links", "url", d.links.URL(), "listen", d.public.Listen)
		g.Go(func() error { return d.links.Run(ctx) })
	}
	g.Go(func() error { return d.act.Run(ctx) })
	d.fleetRun(ctx, g)
	g.Go(func() error { return d.loop(ctx, lines, tl) })
	err = g.Wait()
	d.mu.Lock()
	for _, s := range d.streams {
		s.s.Flush()
	}
	if serr := d.save(); serr != nil { // before the drain: a kill -9 meanwhile loses nothing
		d.log.Error("state not saved at shutdown", "err", serr)
	}
	out, notes := d.takePending()
	d.mu.Unlock()
	d.send(out, notes)
	if d.dispatch != nil {
		stopDispatch()
		<-dispatched
		d.mu.Lock()
		if serr := d.save(); serr != nil { // what the drain delivered is not sent again
			d.log.Error("state not saved at shutdown", "err", serr)
		}
		d.mu.Unlock()
	}
	if cerr := d.audit.Close(); cerr != nil {
		d.log.Error("audit log not closed", "err", cerr)
	}
	return err
}

// drainTimeout bounds how long a stopping daemon goes on delivering its
// notifications (systemd waits 90 s by default before it kills): what a
// notifier has not taken by then is saved and sent after the restart.
const drainTimeout = 5 * time.Second

// catchUpWait bounds how long after start the log's clock waits for the
// tailer to read the files it found to their end (see quiet): once lines
// flow, each one moves the clock, and a file that cannot be read to its
// end (a compressed file cut short) must not stop it for good.
const catchUpWait = 10 * time.Second

// loop owns the engine: it takes lines, and every second advances the
// engine on the wall clock while the logs are quiet, settles format
// detection of quiet files, publishes metrics and saves the state.
func (d *Daemon) loop(ctx context.Context, lines <-chan tailer.Line, tl *tailer.Tailer) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastSave := d.now()
	started := lastSave
	for {
		select {
		case <-ctx.Done():
			return nil
		case l := <-lines:
			d.mu.Lock()
			d.take(l)
			d.takeQueued(lines)
			d.fleetClock()
			out, notes := d.afterBatch()
			d.mu.Unlock()
			d.send(out, notes)
		case <-tick.C:
			now := d.now()
			d.mu.Lock()
			d.tick(now, lines, !tl.CaughtUp() && now.Sub(started) < catchUpWait)
			d.fleetClock()
			d.groupDue() // the incidents' clock moves on while the logs are quiet
			d.warnFuture(now)
			d.act.Advance(d.eng.Clock()) // reverts come due on the log's clock, quiet or not
			d.publish(tl)
			if acts := d.act.Changes(); acts != d.savedActs {
				d.trySave() // a remedy applied or undone: saved at once
				lastSave = now
			} else if d.dirty && now.Sub(lastSave) >= d.opts.Checkpoint {
				d.trySave()
				lastSave = now
			}
			out, notes := d.afterBatch()
			d.mu.Unlock()
			d.send(out, notes)
		}
	}
}

// take feeds one line to its file's stream.
func (d *Daemon) take(l tailer.Line) {
	if d.opts.Tap != nil {
		d.opts.Tap(l)
	}
	s := d.streams[l.Path]
	if s == nil {
		src := d.sourceFor(l.Path)
		s = &stream{held: map[tailer.FileID]bool{}, lastPos: map[tailer.FileID]tailer.Checkpoint{}}
		s.s = source.NewStream(l.Path, source.Options{Format: src.Format, Parser: src.Parser, Now: d.now}, func(ev *parsers.Event) {
			d.observe(ev)
			if ev.Time.After(s.newest) {
				s.newest = ev.Time
			}
		})
		d.streams[l.Path] = s
	}
	s.lastLine = d.now()
	d.lineRead = l.Read
	s.s.Line(l.Text)
	d.lineRead = time.Time{}
	id := l.Pos.ID()
	s.lastPos[id], s.last = l.Pos, l.Pos
	switch {
	case !s.s.Holding():
		d.positions[id] = l.Pos
		d.release(s)
	case !s.held[id]:
		// The first line of this file held for format detection: until
		// it is decoded, a restart must read it again, so the saved
		// position stays before it.
		d.positions[id], s.held[id] = l.Before, true
	}
	d.dirty = true
}

// release moves the saved positions of the files whose lines were held
// for detection to their last line, once detection has decoded them.
func (d *Daemon) release(s *stream) {
	for id := range s.held {
		d.positions[id] = s.lastPos[id]
		delete(s.held, id)
	}
}

// FutureMargin is how far past the skew ahead of the wall clock a line
// may be dated before it is counted at the time it was read instead: a
// line dated in 2199 must not move the event clock there, or every later
// line would be late and every rule blind, even after a restart.
const FutureMargin = 30 * time.Second

// futureLines counts the lines dated ahead of the wall clock, for a
// warning at most once a minute.
type futureLines struct {
	total, warned uint64        // lines counted, and at the last warning
	ahead         time.Duration // the farthest ahead since the last warning
	lastWarn      time.Time
	published     uint64 // the engine's Future already in the metrics
}

// observe passes an event to the engine. A line dated beyond the skew and
// FutureMargin ahead of the wall clock is counted at its read time.
func (d *Daemon) observe(ev *parsers.Event) {
	now := d.now()
	if ahead := ev.Time.Sub(now); ahead > d.futureLimit() {
		d.future.total++
		d.future.ahead = max(d.future.ahead, ahead)
		d.metrics.EventsFuture(1)
		ev.Time = now.UTC()
	}
	d.eng.Observe(ev)
	if w := d.eng.Watermark(); w.After(d.lastEvent) {
		d.lastEvent, d.lastWall = w, now
	}
	d.groupDue() // on the log's clock: a file read in one go notifies as it would have live
}

// futureLimit is how far ahead of the wall clock a line may be dated.
func (d *Daemon) futureLimit() time.Duration {
	return cmp.Or(d.cfg.Settings.Skew, detector.DefaultSkew) + FutureMargin
}

// warnFuture logs, at most once a minute, how many lines were dated ahead
// of the wall clock since the last warning.
func (d *Daemon) warnFuture(now time.Time) {
	f := &d.future
	if f.total == f.warned || now.Sub(f.lastWarn) < time.Minute {
		return
	}
	d.log.Warn("lines dated ahead of this machine's clock were counted at the time they were read",
		"lines", f.total-f.warned, "farthest_ahead", f.ahead.Round(time.Second).String(),
		"hint", "check the time zone of the log (--timezone, a source's timezone:) or the clock of the machine writing it")
	f.warned, f.ahead, f.lastWarn = f.total, 0, now
}

// takeQueued takes the lines already queued, under the lock the caller
// holds.
func (d *Daemon) takeQueued(lines <-chan tailer.Line) {
	for range len(lines) {
		d.take(<-lines)
	}
}

// tick is the loop's second: the lines queued meanwhile are taken first
// (select picks at random when a line and the tick are both ready), so the
// wall-clock advance never runs ahead of lines that were waiting, and a
// stream of lines that do not move the clock (unparsed, or dated behind
// it) cannot hold it back either, unless they come faster than the loop
// takes them. catchingUp: see quiet's behind.
func (d *Daemon) tick(now time.Time, lines <-chan tailer.Line, catchingUp bool) {
	d.takeQueued(lines)
	// Lines that came while those were taken: the loop is behind the
	// log, and takes them next; the clock waits for them.
	d.quiet(now, catchingUp || len(lines) > 0)
}

// quiet advances the engine by the wall time passed since the newest
// event, so that rules resolve and absences fire while the logs are
// silent; the log's own clock is followed, not the machine's, so a log
// written in another zone or with a skewed clock is not all late. Files
// quiet for a second settle their format detection. behind says that
// lines are known to be unread: a file found at start not read to its end
// yet (after a restart, the lines written while the daemon was down), or
// lines queued while tick took the queue; the clock then waits for them.
func (d *Daemon) quiet(now time.Time, behind bool) {
	allQuiet := true // no file had a line in the last second
	for path, s := range d.streams {
		if now.Sub(s.lastLine) < time.Second {
			allQuiet = false
		} else {
			s.s.Settle()
			if !s.s.Holding() {
				d.release(s)
			}
		}
		if err := s.s.Err(); err != nil && !s.warned {
			s.warned = true
			d.log.Warn("lines skipped: format not recognised", "path", path, "err", err)
		}
	}
	switch {
	case behind:
		// Lines are waiting to be read (a restart's backlog): the log is
		// not quiet, and moving its clock now would make them late.
	case d.lastEvent.IsZero() && allQuiet:
		// A log's first line waits for a second one (it may be dated far
		// ahead); after a quiet second it is counted.
		d.eng.Settle(now)
		if w := d.eng.Watermark(); !w.IsZero() {
			d.lastEvent, d.lastWall = w, now
		}
	case !d.lastEvent.IsZero():
		if idle := now.Sub(d.lastWall); idle > time.Second {
			d.eng.Advance(d.lastEvent.Add(idle - inFlight))
		}
	}
}

// inFlight is how far the log's clock, moved on the wall, stays behind
// the time passed: lines written in the last moments may not be read yet
// (the tailer not woken, the machine busy). Without it a busy log whose
// lines are dated to the second had its clock moved past each second's end
// by a tick that came just after it, ahead of that second's last lines:
// counted late, and, in a fleet, left out of the second the evaluator
// had already counted. A quiet log's rules resolve, and absences fire,
// that much later.
const inFlight = 500 * time.Millisecond

// afterBatch saves the state when transitions or notifications are
// waiting, and returns them to be sent once the lock is released: a crash
// after the save cannot send them twice, and a slow output never holds
// the engine.
func (d *Daemon) afterBatch() (transitions, notes []alert.Alert) {
	if len(d.pending) == 0 && len(d.notes) == 0 {
		return nil, nil
	}
	d.trySave()
	return d.takePending()
}

// takePending returns the waiting transitions and notifications and
// empties their queues.
func (d *Daemon) takePending() (transitions, notes []alert.Alert) {
	transitions, notes = d.pending, d.notes
	d.pending, d.notes = nil, nil
	return transitions, notes
}

// send writes transitions and submits notifications; the caller does not
// hold the lock.
func (d *Daemon) send(out, notes []alert.Alert) {
	for _, a := range out {
		if !a.Escalated { // the same episode: counted once
			d.metrics.Alert(a.Rule, a.State)
		}
		if err := d.opts.Emit(a); err != nil {
			d.log.Error("alert not written", "rule", a.Rule, "err", err)
		}
	}
	for _, n := range notes {
		d.dispatch.Submit(n) // never blocks: queued per notifier
	}
}

// trySave saves the state; a failure (a full disk during an attack) is
// logged and retried at the next tick, never fatal.
func (d *Daemon) trySave() {
	if err := d.save(); err != nil {
		d.log.Error("state not saved: will retry", "err", err)
	}
}

// save writes the positions and the engine's state.
func (d *Daemon) save() error {
	if d.beforeSave != nil {
		d.beforeSave()
	}
	snap, err := d.eng.Snapshot()
	if err != nil {
		return err
	}
	acts := d.act.Changes()
	as := d.act.State()
	st := &state.State{Saved: d.now().UTC(), Config: d.cfg.File, Engine: snap, Actions: &as}
	if d.dispatch != nil {
		// What was saved before this save but not yet delivered, and the
		// notifications this save's batch will submit: all of it goes out
		// after a crash; the incidents hold this batch's transitions.
		st.Pending = append(d.dispatch.Pending(), d.notes...)
		st.Silences = d.dispatch.Silences()
		st.Incidents = d.group.Open()
	}
	if d.tl != nil {
		// Every file the tailer knows, each at its last line processed:
		// rotated files still unread, files read to their end (so that a
		// glob that also matches them never reads them again).
		st.Checkpoints = d.tl.Checkpoints(d.positions)
		keep := make(map[tailer.FileID]bool, len(st.Checkpoints))
		for _, c := range st.Checkpoints {
			keep[c.ID()] = true
		}
		for id := range d.positions {
			if !keep[id] {
				delete(d.positions, id) // a file gone: forgotten
			}
		}
	} else {
		for _, c := range d.positions {
			st.Checkpoints = append(st.Checkpoints, c)
		}
	}
	if err := state.Save(d.opts.StateDir, st); err != nil {
		return err
	}
	d.dirty, d.savedActs = false, acts
	return nil
}

// routesFor returns the routes of cfg's notifiers, then Options.Routes.
func (d *Daemon) routesFor(cfg *config.Config) []alerts.Route {
	var rs []alerts.Route
	for _, n := range cfg.Notifiers {
		rs = append(rs, n.Route)
	}
	return append(rs, d.opts.Routes...)
}

// setRoutes delivers the next notifications with the notifiers of a
// reloaded config: a notifier kept by name (its URL changed, say) from
// its next notification on, a new one from the next incident, a removed
// one only what it holds. A daemon started without any notifier cannot
// take one on: that needs a restart. The caller holds mu.
func (d *Daemon) setRoutes(cfg *config.Config) {
	routes := d.routesFor(cfg)
	if d.dispatch == nil {
		if len(routes) > 0 {
			d.log.Warn("notifiers of the reloaded config not used: sentinel started without any; restart to use them")
		}
		return
	}
	d.dispatch.SetRoutes(routes)
	for _, r := range routes {
		d.metrics.AddNotifier(r.Name)
	}
	d.routes = routes
	logRoutes(d.log, routes)
}

// logRoutes logs each notifier: its name, what it is, what it takes and
// where it comes from.
func logRoutes(log *slog.Logger, routes []alerts.Route) {
	for _, r := range routes {
		log.Info("notifier", "name", r.Name, "what", alerts.Describe(r.Notifier), "to", r.Scope(), "from", r.Origin)
	}
}

// sourceFor returns the source a followed path belongs to.
func (d *Daemon) sourceFor(path string) Source {
	for _, s := range d.opts.Sources {
		if ok, _ := filepath.Match(s.Pattern, path); ok || s.Pattern == path {
			return s
		}
	}
	return Source{Pattern: path, Format: "auto"}
}

// Silence holds back rule's notifications until a time (one not after
// now lifts the silence); the silence is saved with the state. It is
// refused for a rule the running config lacks, or without notifiers.
func (d *Daemon) Silence(rule string, until time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.cfg.RuleLines[rule]; !ok {
		return fmt.Errorf("no rule is named %q in %s", alert.Sanitize(rule, 80), d.cfg.File)
	}
	if d.dispatch == nil {
		return errors.New("this daemon has no notifiers: alerts only go to stdout, nothing to silence")
	}
	d.dispatch.Silence(rule, until)
	d.dirty = true // saved with the next checkpoint
	return nil
}

// Silences lists the silences in force, the config's and the API's; none
// without notifiers.
func (d *Daemon) Silences() []alerts.SilenceStatus {
	if d.dispatch == nil {
		return nil
	}
	return d.dispatch.SilenceList()
}

// PauseActions stops (pause) or resumes new actions: the kill switch.
// Remedies already on are still reverted. The switch is saved with the
// state, so it holds across a restart.
func (d *Daemon) PauseActions(pause bool) error {
	if pause {
		d.act.Pause()
	} else {
		d.act.Resume()
	}
	d.log.Warn("actions switched", "paused", pause)
	return nil // saved at the next tick (Changes moved)
}

// Reload loads the config again and swaps in its rules, keeping the
// windows of the rules it did not change. An invalid config is rejected
// whole and the running one stays. Sources are read at start only.
func (d *Daemon) Reload() error {
	if d.opts.Load == nil {
		return errors.New("no config file to reload")
	}
	d.reloading.Lock()
	defer d.reloading.Unlock()
	cfg, err := d.opts.Load()
	if err != nil {
		d.metrics.ConfigReload(err, d.now())
		d.log.Error("reload rejected: the running config stays", "err", err)
		return err
	}
	d.mu.Lock()
	out, notes, err := d.swap(cfg)
	d.mu.Unlock()
	d.send(out, notes) // not under the lock
	return err
}

// swap replaces the engine by one for cfg, keeping the state of unchanged
// rules; it returns the transitions to send. The caller holds mu.
func (d *Daemon) swap(cfg *config.Config) (transitions, notes []alert.Alert, err error) {
	eng, err := d.newEngine(cfg)
	if err != nil {
		d.metrics.ConfigReload(err, d.now())
		return nil, nil, err
	}
	snap, err := d.eng.Snapshot()
	if err != nil {
		return nil, nil, err
	}
	kept, err := eng.Restore(snap)
	if err != nil {
		d.metrics.ConfigReload(err, d.now())
		return nil, nil, err
	}
	keptSet := map[string]bool{}
	for _, name := range kept {
		keptSet[name] = true
	}
	for _, v := range d.eng.View() {
		if v.State == "firing" && !keptSet[v.Name] {
			// A firing rule changed or removed: close its episode, so that
			// whatever acted on the firing sees it end.
			a := alert.Alert{Rule: v.Name, State: alert.Resolved, Time: d.eng.Watermark(),
				Value: v.Value, Threshold: v.Threshold, Unit: v.Unit, Severity: v.Severity, Since: v.Since,
				Description: "the rule was changed or removed by a config reload", Keys: []alert.KeyCount{}}
			d.transition(a) // a remedy it applied is reverted in time, not left on; its incident hears of it
		}
	}
	newNames := map[string]bool{}
	for _, r := range cfg.Rules {
		newNames[r.Name] = true
		d.metrics.AddRule(r.Name)
	}
	for _, r := range d.cfg.Rules {
		if !newNames[r.Name] {
			d.metrics.ForgetRule(r.Name)
		}
	}
	d.fleetReload(cfg)
	d.eng, d.cfg, d.dirty = eng, cfg, true
	d.setRoutes(cfg)
	d.act.SetActions(cfg.Actions, eng.Clock())
	for _, a := range cfg.Actions {
		d.metrics.AddAction(a.Name)
	}
	d.metrics.ConfigReload(nil, d.now())
	d.log.Info("reloaded", "rules", len(cfg.Rules), "kept", kept)
	d.trySave()
	transitions, notes = d.takePending()
	return transitions, notes, nil
}

// publish moves the streams' counters to the metrics, and the rules'
// values and thresholds.
func (d *Daemon) publish(tl *tailer.Tailer) {
	unread := map[string]int64{}
	for _, fs := range tl.Stats() {
		d.metrics.SetLagBytes(fs.Path, fs.Lag)
		unread[fs.Path] = fs.Lag
	}
	now := d.now()
	for path, s := range d.streams {
		st := s.s.Stats()
		p := s.published
		d.metrics.LinesRead(path, int(st.Lines-p.Lines))
		d.metrics.LinesParsed(path, int(st.Parsed-p.Parsed))
		d.metrics.LinesSkipped(path, server.SkipMalformed, int(st.Malformed-p.Malformed))
		d.metrics.LinesSkipped(path, server.SkipTooLong, int(st.TooLong-p.TooLong))
		d.metrics.LinesSkipped(path, server.SkipIgnored, int(st.Ignored-p.Ignored))
		s.published = st
		s.lagBytes = unread[path]
		d.metrics.SetLag(path, d.lag(s, now))
	}
	for _, fs := range tl.Stats() {
		p := d.tailPublished[fs.Path]
		// Lines the tailer skipped as too long never reach a stream.
		d.metrics.LinesSkipped(fs.Path, server.SkipTooLong, int(fs.TooLong-p.TooLong))
		d.metrics.Rotations(fs.Path, server.RotationRename, int(fs.Renames-p.Renames))
		d.metrics.Rotations(fs.Path, server.RotationRecreate, int(fs.Deletes-p.Deletes))
		d.metrics.Rotations(fs.Path, server.RotationTruncate, int(fs.Truncations-p.Truncations))
		d.tailPublished[fs.Path] = fs
	}
	for _, v := range d.eng.View() {
		d.metrics.SetRule(v.Name, v.Value, v.Threshold)
	}
	es := d.eng.Stats()
	d.metrics.EventsLate(int(es.Late - d.publishedLate))
	d.publishedLate = es.Late
	d.metrics.EventsFuture(int(es.Future - d.future.published))
	d.future.published = es.Future
}

// lag is how far a followed file's reading is behind: 0 when every byte
// written is read, else the age of the oldest unread line, at most the
// time since the newest line read was written (its event time). A quiet
// log has no lag.
func (d *Daemon) lag(s *stream, now time.Time) time.Duration {
	newest := s.newest
	if newest.IsZero() {
		newest = d.lastEvent // nothing read from it yet
	}
	if s.lagBytes <= 0 || newest.IsZero() {
		return 0
	}
	return max(now.Sub(newest), 0)
}

// Status returns the daemon's state for the API; safe for concurrent use.
func (d *Daemon) Status() server.Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := server.Status{Version: d.opts.Version, Started: d.started, Config: d.cfg.File, Latency: d.metrics.Latencies(),
		Fleet: d.fleetStatus()}
	for path, s := range d.streams {
		ss := s.s.Stats()
		src := server.SourceStatus{Path: path, Format: ss.Format, Lines: ss.Lines, Parsed: ss.Parsed,
			Skipped: ss.Skipped(), Offset: s.last.Offset, LagBytes: s.lagBytes, LagSeconds: d.lag(s, d.now()).Seconds()}
		st.Sources = append(st.Sources, src)
	}
	if d.dispatch != nil {
		st.Notifiers = d.dispatch.Status()
		st.Silences = d.dispatch.SilenceList()
	}
	for _, n := range d.eng.Notices() {
		st.Notices = append(st.Notices, n.Text)
	}
	if len(d.cfg.Actions) > 0 || len(d.act.Episodes()) > 0 {
		as := d.act.Status()
		st.Actions = &as
	}
	for _, v := range d.eng.View() {
		st.Rules = append(st.Rules, server.RuleStatus{Name: v.Name, Severity: string(v.Severity), State: v.State,
			Value: v.Value, Now: v.Current, Threshold: v.Threshold, Unit: v.Unit, Baseline: v.Baseline, Spread: v.Spread,
			Since: v.Since, Keys: v.Keys, Learning: v.Learning, Peak: v.Peak})
	}
	return st
}
