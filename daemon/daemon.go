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
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
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
	// it has been saved.
	Emit    func(alerts.Alert) error
	Listen  string // the HTTP API's address; "" disables it
	Token   string
	Version string
	Logger  *slog.Logger
	// Now is the wall clock; nil means time.Now. Tests inject their own.
	Now func() time.Time
}

// Daemon follows logs and runs the rules. Create it with New and call Run
// once.
type Daemon struct {
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	metrics *server.Metrics
	started time.Time

	mu            sync.Mutex // guards everything below
	cfg           *config.Config
	eng           *detector.Engine
	streams       map[string]*stream // by path
	positions     map[string]tailer.Checkpoint
	pending       []alerts.Alert // transitions not yet saved and sent
	lastEvent     time.Time      // newest event time seen
	lastWall      time.Time      // wall time when it was seen
	dirty         bool           // state changed since the last save
	publishedLate uint64         // late events already counted in the metrics
}

// stream is one followed file.
type stream struct {
	s         *source.Stream
	lastLine  time.Time // wall time of its last line
	published source.Stats
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
		opts.Emit = func(alerts.Alert) error { return nil }
	}
	d := &Daemon{opts: opts, log: opts.Logger, now: opts.Now, metrics: server.NewMetrics(), cfg: opts.Config,
		streams: map[string]*stream{}, positions: map[string]tailer.Checkpoint{}, started: opts.Now()}
	eng, err := d.newEngine(opts.Config)
	if err != nil {
		return nil, err
	}
	d.eng = eng
	d.metrics.SetBuildInfo(opts.Version)
	for _, r := range opts.Config.Rules {
		d.metrics.AddRule(r.Name)
	}
	return d, nil
}

// newEngine builds an engine for cfg whose transitions queue in pending.
func (d *Daemon) newEngine(cfg *config.Config) (*detector.Engine, error) {
	eopts := cfg.EngineOptions()
	eopts.Emit = func(a alerts.Alert) {
		d.pending = append(d.pending, a) // under mu: the loop holds it while the engine runs
	}
	return detector.NewEngine(cfg.Rules, eopts)
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
	if err != nil {
		d.log.Warn("state unreadable: starting afresh", "err", err)
		saved = nil
	}
	var checkpoints []tailer.Checkpoint
	if saved != nil {
		checkpoints = saved.Checkpoints
		for _, c := range checkpoints {
			d.positions[c.Path] = c
		}
		if saved.Engine != nil {
			restored, err := d.eng.Restore(saved.Engine)
			if err != nil {
				d.log.Warn("engine state not restored", "err", err)
			} else {
				d.log.Info("resumed", "rules", restored, "files", len(checkpoints))
			}
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
	tl, err := tailer.New(tailer.Options{Patterns: patterns, Start: start, Checkpoints: checkpoints, Poll: d.opts.Poll, Logger: d.log})
	if err != nil {
		return fmt.Errorf("follow logs: %w", err)
	}

	g, ctx := errgroup.WithContext(ctx)
	lines := make(chan tailer.Line, 4096)
	g.Go(func() error {
		if err := tl.Run(ctx, lines); err != nil && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("follow logs: %w", err)
		}
		return nil
	})
	if d.opts.Listen != "" {
		srv, err := server.New(server.Options{Addr: d.opts.Listen, Token: d.opts.Token, Status: d.Status,
			Reload: d.Reload, Metrics: d.metrics, Logger: d.log})
		if err != nil {
			return err
		}
		g.Go(func() error { return srv.Run(ctx) })
	}
	g.Go(func() error { return d.loop(ctx, lines, tl) })
	err = g.Wait()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range d.streams {
		s.s.Flush()
	}
	if serr := d.save(); serr != nil && err == nil {
		err = serr
	}
	d.send()
	return err
}

// loop owns the engine: it takes lines, and every second advances the
// engine on the wall clock while the logs are quiet, settles format
// detection of quiet files, publishes metrics and saves the state.
func (d *Daemon) loop(ctx context.Context, lines <-chan tailer.Line, tl *tailer.Tailer) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	lastSave := d.now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case l := <-lines:
			d.mu.Lock()
			d.take(l)
			for range len(lines) { // drain what is already queued under one lock
				d.take(<-lines)
			}
			err := d.afterBatch()
			d.mu.Unlock()
			if err != nil {
				return err
			}
		case <-tick.C:
			now := d.now()
			d.mu.Lock()
			d.quiet(now)
			d.publish(tl)
			var err error
			if d.dirty && now.Sub(lastSave) >= d.opts.Checkpoint {
				err = d.save()
				lastSave = now
			}
			if err == nil {
				err = d.afterBatch()
			}
			d.mu.Unlock()
			if err != nil {
				return err
			}
		}
	}
}

// take feeds one line to its file's stream.
func (d *Daemon) take(l tailer.Line) {
	s := d.streams[l.Path]
	if s == nil {
		src := d.sourceFor(l.Path)
		s = &stream{s: source.NewStream(l.Path, source.Options{Format: src.Format, Parser: src.Parser, Now: d.now}, d.observe)}
		d.streams[l.Path] = s
	}
	s.lastLine = d.now()
	s.s.Line(l.Text)
	d.positions[l.Path] = l.Pos
	d.dirty = true
}

// observe passes an event to the engine.
func (d *Daemon) observe(ev *parsers.Event) {
	d.eng.Observe(ev)
	if ev.Time.After(d.lastEvent) {
		d.lastEvent, d.lastWall = ev.Time, d.now()
	}
}

// quiet advances the engine by the wall time passed since the newest
// event, so that rules resolve and absences fire while the logs are
// silent; the log's own clock is followed, not the machine's, so a log
// written in another zone or with a skewed clock is not all late. Files
// quiet for a second settle their format detection.
func (d *Daemon) quiet(now time.Time) {
	for _, s := range d.streams {
		if now.Sub(s.lastLine) >= time.Second {
			s.s.Settle()
		}
	}
	if !d.lastEvent.IsZero() {
		if idle := now.Sub(d.lastWall); idle > time.Second {
			d.eng.Advance(d.lastEvent.Add(idle))
		}
	}
}

// afterBatch saves the state when transitions are waiting, then sends
// them: a crash after the save cannot send them twice.
func (d *Daemon) afterBatch() error {
	if len(d.pending) == 0 {
		return nil
	}
	if err := d.save(); err != nil {
		return err
	}
	d.send()
	return nil
}

// send writes the waiting transitions.
func (d *Daemon) send() {
	for _, a := range d.pending {
		d.metrics.Alert(a.Rule, a.State)
		if err := d.opts.Emit(a); err != nil {
			d.log.Error("alert not written", "rule", a.Rule, "err", err)
		}
	}
	d.pending = d.pending[:0]
}

// save writes the positions and the engine's state.
func (d *Daemon) save() error {
	snap, err := d.eng.Snapshot()
	if err != nil {
		return err
	}
	st := &state.State{Saved: d.now().UTC(), Config: d.cfg.File, Engine: snap}
	for _, c := range d.positions {
		st.Checkpoints = append(st.Checkpoints, c)
	}
	if err := state.Save(d.opts.StateDir, st); err != nil {
		return err
	}
	d.dirty = false
	return nil
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

// Reload loads the config again and swaps in its rules, keeping the
// windows of the rules it did not change. An invalid config is rejected
// whole and the running one stays. Sources are read at start only.
func (d *Daemon) Reload() error {
	if d.opts.Load == nil {
		return errors.New("no config file to reload")
	}
	cfg, err := d.opts.Load()
	if err != nil {
		d.metrics.ConfigReload(err)
		d.log.Error("reload rejected: the running config stays", "err", err)
		return err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	eng, err := d.newEngine(cfg)
	if err != nil {
		d.metrics.ConfigReload(err)
		return err
	}
	snap, err := d.eng.Snapshot()
	if err != nil {
		return err
	}
	kept, err := eng.Restore(snap)
	if err != nil {
		d.metrics.ConfigReload(err)
		return err
	}
	for _, r := range d.cfg.Rules {
		d.metrics.ForgetRule(r.Name)
	}
	for _, r := range cfg.Rules {
		d.metrics.AddRule(r.Name)
	}
	d.eng, d.cfg, d.dirty = eng, cfg, true
	d.metrics.ConfigReload(nil)
	d.log.Info("reloaded", "rules", len(cfg.Rules), "kept", kept)
	return nil
}

// publish moves the streams' counters to the metrics.
func (d *Daemon) publish(tl *tailer.Tailer) {
	for path, s := range d.streams {
		st := s.s.Stats()
		p := s.published
		d.metrics.LinesRead(path, int(st.Lines-p.Lines))
		d.metrics.LinesParsed(path, int(st.Parsed-p.Parsed))
		d.metrics.LinesSkipped(path, server.SkipMalformed, int(st.Malformed-p.Malformed))
		d.metrics.LinesSkipped(path, server.SkipTooLong, int(st.TooLong-p.TooLong))
		d.metrics.LinesSkipped(path, server.SkipIgnored, int(st.Ignored-p.Ignored))
		s.published = st
		if !d.lastEvent.IsZero() {
			d.metrics.SetLag(path, d.now().Sub(d.lastEvent))
		}
	}
	for _, fs := range tl.Stats() {
		d.metrics.SetLagBytes(fs.Path, fs.Lag)
	}
	late := d.eng.Stats().Late
	d.metrics.EventsLate(int(late - d.publishedLate))
	d.publishedLate = late
}

// Status returns the daemon's state for the API; safe for concurrent use.
func (d *Daemon) Status() server.Status {
	d.mu.Lock()
	defer d.mu.Unlock()
	st := server.Status{Version: d.opts.Version, Started: d.started, Config: d.cfg.File}
	for path, s := range d.streams {
		ss := s.s.Stats()
		src := server.SourceStatus{Path: path, Format: ss.Format, Lines: ss.Lines, Parsed: ss.Parsed,
			Skipped: ss.Skipped(), Offset: d.positions[path].Offset}
		if !d.lastEvent.IsZero() {
			src.LagSeconds = d.now().Sub(d.lastEvent).Seconds()
		}
		st.Sources = append(st.Sources, src)
	}
	for _, v := range d.eng.View() {
		st.Rules = append(st.Rules, server.RuleStatus{Name: v.Name, Severity: string(v.Severity), State: v.State,
			Value: v.Value, Threshold: v.Threshold, Unit: v.Unit, Baseline: v.Baseline, Spread: v.Spread,
			Since: v.Since, Keys: v.Keys})
	}
	return st
}
