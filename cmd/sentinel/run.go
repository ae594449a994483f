package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/daemon"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/parsers"
	"github.com/sentinel-dev/sentinel/replay"
	"github.com/sentinel-dev/sentinel/server"
	"github.com/sentinel-dev/sentinel/state"
)

type runFlags struct {
	replayFlags
	output    string
	fromStart bool
	stateDir  string
	listen    string
	token     string
	logFormat string
	poll      bool
	remind    time.Duration
	dryRun    bool
}

// daemonHook, when set (only by this package's tests, in the process
// they run as sentinel), adjusts the daemon's options before it starts.
var daemonHook func(*daemon.Options)

// DefaultListen is where the local API listens unless --listen says
// otherwise.
const DefaultListen = "127.0.0.1:9911"

func newRun() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run [-c FILE] [PATH...]",
		Short: "Follow logs as they are written and raise alerts as they happen",
		Long: `run follows log files (paths or globs: /var/log/nginx/*.log) through rotation —
rename and create, copytruncate, delete and recreate — and raises alerts as the rules
fire and resolve, on the logs' own time. With no config, the embedded rules for web
access logs apply to the given paths; with -c, its sources, and its rules laid over
the embedded ones (README: Configuration). A directory stands for the *.log files in
it; a named pipe or other non-regular file is refused. A file is one file whatever
its name: a glob that also matches its rotated names (access.log*, *.log with
dateext) never reads it twice; .gz files are read through gzip, once.

A file is read from its end the first time it is seen (--from-start: from its beginning).
sentinel saves where it stopped in each file, and its windows, every few seconds and
at shutdown (--state-dir), so a restart neither misses the lines written meanwhile
nor sends an alert twice: files rotated while it was stopped (renamed, compressed or
copied) are read first, oldest first. Lines longer than 1 MiB are skipped and counted.

A line that takes a rule past its threshold fires it at once, on that line: the
action's request leaves at once, without waiting for the state to be saved; the
transition goes to stdout once it is. inotify wakes the reading as soon as a line is written; with --poll (and on
network file systems) files are looked at every 100 ms. 'sentinel status' shows the
latest latencies.

Signals: SIGHUP reloads the config (validated whole first; an invalid one is rejected
and the running one stays; rules that did not change keep their windows and
baselines; actions and notifiers are rebuilt from it). SIGTERM and SIGINT stop reading, save the state and exit 0.

Alerts go to stdout. Each SENTINEL_* variable that 'sentinel test-alert --help'
lists adds a notifier, with or without a config (whose notifiers: add to them).
The rules of one incident — firing together on overlapping events — go out as one
notification 10 s after the first (settings.group_wait), with their measures of
that moment; later changes at most once a minute, quietly; one resolution. Each
notification is retried (honouring a receiver's Retry-After up to 15 minutes),
capped at 20 a minute with a digest, and kept in the state until delivered. The
startup log lists every notifier and where it came from.

Actions (the config's actions:) fire the remedy a rule opts in to — flip a feature
flag off, scale down — and revert it once the rule has stayed quiet, within their
cooldowns and caps; --dry-run logs them instead, and 'sentinel actions pause' is
the kill switch. Every attempt is appended to actions.jsonl in the state dir.

Fleet: sentinels on several servers behind one load balancer see one site through
Redis (settings.fleet in the config, or SENTINEL_REDIS_URL=redis://… or rediss://…):
each publishes what its fleet rules count, one node (the lease holder) evaluates them
over the whole fleet, notifies and acts, and every node falls back to its local rules
within a second when Redis is down or slow. 'sentinel status' shows the fleet.

With the config's settings.public, every notification carries signed one-tap links
— silence 1h, run an action now (also one in dry run), revert a remedy that is on,
stop reminders — served on a public listener behind your TLS proxy: each opens a
confirmation page, acts only from that page's button, works once and expires (24 h).
Its key (links.key), the links used and their audit (links.jsonl) are in the state
dir; 'sentinel links rotate-key' revokes every link (README: Acting from your phone).

A local HTTP API (--listen, default ` + DefaultListen + `) serves /healthz, /metrics
(Prometheus), /status (JSON; also 'sentinel status' and 'sentinel actions list'),
POST /reload ('sentinel reload'), POST /silences ('sentinel silence') and POST
/actions/pause and /actions/resume ('sentinel actions pause|resume'). Bound to a
non-loopback address, it requires --token.`,
		Example: `  sentinel run /var/log/nginx/access.log
  sentinel run -c /etc/sentinel/sentinel.yaml --state-dir /var/lib/sentinel
  sentinel run --output json /var/log/app/*.log | jq .
  sentinel run -c sentinel.yaml --dry-run    # log the actions, make no request`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDaemon(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr(), f, args)
		},
	}
	addInputFlags(cmd, &f.replayFlags)
	fl := cmd.Flags()
	fl.StringVarP(&f.output, "output", "o", "text", "alert output on stdout: text or json (one transition per line)")
	fl.BoolVar(&f.fromStart, "from-start", false, "read files seen for the first time from their beginning, not their end")
	fl.StringVar(&f.stateDir, "state-dir", "", "where to save positions and windows (default: $STATE_DIRECTORY, $XDG_STATE_HOME/sentinel or ~/.local/state/sentinel)")
	fl.StringVar(&f.listen, "listen", DefaultListen, `address of the local HTTP API ("" to disable)`)
	fl.StringVar(&f.token, "token", os.Getenv("SENTINEL_API_TOKEN"), "bearer token for the API (required off loopback; default $SENTINEL_API_TOKEN)")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format on stderr: text or json")
	fl.BoolVar(&f.poll, "poll", false, "look at files every 100 ms instead of using inotify (network file systems): a line waits up to 100 ms to be read")
	fl.BoolVar(&f.dryRun, "dry-run", false, "log every action instead of making its request (and the reverts of those; a remedy applied before, without --dry-run, is still reverted for real)")
	fl.DurationVar(&f.remind, "remind-every", 0, "remind the notifiers of a rule still firing at this interval, e.g. 1h (default: the config's settings.remind_every, else none)")
	return cmd
}

func runDaemon(ctx context.Context, stdout, stderr io.Writer, f runFlags, args []string) error {
	out := alerts.Output(f.output)
	if out != alerts.Text && out != alerts.JSON {
		return usagef("--output must be text or json, not %q", f.output)
	}
	logger, err := newLogger(stderr, f.logFormat)
	if err != nil {
		return err
	}
	// The input flags are checked as replay checks them (README: Commands).
	if !parsers.Known(f.format) {
		return usagef("unknown --format %q (known: %s)", f.format, strings.Join(parsers.Names(), ", "))
	}
	if fm, _ := parsers.Lookup(f.format); fm.Needs != "" {
		return usagef("--format %s needs a field mapping or a pattern: name it in a config source (fields:, pattern:) and use -c", f.format)
	}
	if f.skew < 0 || f.skew > detector.MaxJump {
		return usagef("--skew must be within 0 and 1h, as settings.skew")
	}
	cfg, err := loadConfig(f.config, stderr)
	if err != nil {
		return err
	}
	if f.skew > 0 {
		cfg.Settings.Skew = f.skew
	}
	if fl := cfg.Settings.Fleet; fl.Enabled() {
		if err := fl.WithDefaults().Check(); err != nil {
			return usageError{fmt.Errorf("fleet: %w", err)}
		}
	}
	popts, err := parserOptions(f.replayFlags)
	if err != nil {
		return err
	}
	var sources []daemon.Source
	for _, a := range args {
		sources = append(sources, daemon.Source{Pattern: a, Format: f.format, Parser: popts})
	}
	if len(sources) == 0 {
		for _, s := range cfg.Sources {
			// The flags override the sources' own, as in replay.
			o, format := s.Options, s.Format
			if popts.Location != nil {
				o.Location = popts.Location
			}
			if !popts.Date.IsZero() {
				o.Date = replay.DayIn(popts.Date, o.Location)
			}
			if !parsers.IsAuto(f.format) {
				format = f.format
			}
			sources = append(sources, daemon.Source{Pattern: s.Path, Format: format, Parser: o})
		}
	}
	if len(sources) == 0 {
		return usagef("nothing to follow: name log files or globs, or give a config with sources")
	}
	for i, s := range sources {
		if abs, err := filepath.Abs(s.Pattern); err == nil {
			sources[i].Pattern = abs
		}
		if sources[i].Pattern, err = sourcePattern(sources[i].Pattern, logger); err != nil {
			return err
		}
	}
	dir := f.stateDir
	if dir == "" {
		dir = state.DefaultDir()
	}
	console := alerts.NewConsole(stdout, out)
	// The environment's notifiers apply with or without a config file, the
	// config's add to them (README: Notifications); so on every reload.
	if err := cfg.AddEnvNotifiers(os.LookupEnv); err != nil {
		return usageError{err}
	}
	if remind := cmp.Or(f.remind, cfg.Settings.RemindEvery); remind != 0 && remind < time.Minute {
		return usagef("--remind-every %s: must be at least 1m", remind)
	}
	var load func() (*config.Config, error)
	if f.config != "" {
		load = func() (*config.Config, error) {
			c, err := config.Load(f.config)
			if err != nil {
				return nil, err
			}
			if f.skew > 0 {
				c.Settings.Skew = f.skew // the flag outlives reloads
			}
			if err := c.AddEnvNotifiers(os.LookupEnv); err != nil {
				return nil, err
			}
			return c, nil
		}
	}
	// The daemon takes its notifiers, silences and notification settings
	// from the config, and its notifiers again from each reload's.
	dopts := daemon.Options{
		Config: cfg, Sources: sources, Load: load, StateDir: dir, FromStart: f.fromStart, Poll: f.poll,
		Emit: func(a alert.Alert) error { return console.Notify(context.Background(), a) },
		Host: hostName(), RemindEvery: f.remind, DryRun: f.dryRun,
		Listen: f.listen, Token: f.token, Version: version, Logger: logger,
	}
	if daemonHook != nil {
		daemonHook(&dopts)
	}
	d, err := daemon.New(dopts)
	if err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				if err := d.Reload(); err != nil && f.config == "" {
					logger.Warn("SIGHUP ignored: running the embedded rules, there is no config file to reload")
				} // other outcomes are logged by Reload; a rejected config leaves the running one
			}
		}
	}()
	if err := d.Run(ctx); err != nil {
		if errors.Is(err, server.ErrNoToken) {
			return usageError{err}
		}
		return err
	}
	logger.Info("stopped")
	return nil
}

// sourcePattern checks what a source path names. A directory is
// followed through the *.log files in it, which is logged; a named pipe,
// socket or device is refused: run follows regular files, whose place it
// saves across restarts. A glob, a regular file or a path that does not
// exist yet (it is waited for) is used as it is.
func sourcePattern(p string, logger *slog.Logger) (string, error) {
	if strings.ContainsAny(p, `*?[\`) {
		return p, nil
	}
	fi, err := os.Stat(p)
	if err != nil || fi.Mode().IsRegular() {
		return p, nil
	}
	if fi.IsDir() {
		pat := filepath.Join(p, "*.log")
		logger.Info("a directory: following the *.log files in it, and those created later (give a glob to follow others)",
			"path", p, "pattern", pat)
		return pat, nil
	}
	what := "not a regular file"
	switch m := fi.Mode(); {
	case m&os.ModeNamedPipe != 0:
		what = "a named pipe (FIFO)"
	case m&os.ModeSocket != 0:
		what = "a socket"
	case m&os.ModeDevice != 0:
		what = "a device"
	}
	return "", usageError{hintError{
		err:   fmt.Errorf("%s is %s: sentinel run follows regular files (it saves its place in each to resume after a restart)", p, what),
		hints: []string{"have the server write its log to a file and follow that file; a finished stream can be read with 'sentinel replay -'"},
	}}
}

// hostName is the site an alert names when the config names none: the
// machine's host name, its first label ("web-1", not
// "web-1.example.com").
func hostName() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return ""
	}
	if i := strings.IndexByte(h, '.'); i > 0 {
		h = h[:i]
	}
	return h
}

// newLogger returns the daemon's logger on w.
func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, usagef("--log-format must be text or json, not %q", format)
}

// apiFlags are the flags of the commands that talk to a running daemon.
type apiFlags struct {
	addr    string
	token   string
	timeout time.Duration
}

func addAPIFlags(cmd *cobra.Command, f *apiFlags) {
	cmd.Flags().StringVar(&f.addr, "addr", DefaultListen, "address of the daemon's API")
	cmd.Flags().StringVar(&f.token, "token", os.Getenv("SENTINEL_API_TOKEN"), "bearer token (default $SENTINEL_API_TOKEN)")
	cmd.Flags().DurationVar(&f.timeout, "timeout", 5*time.Second, "how long to wait for the daemon")
}

func (f apiFlags) context(ctx context.Context) (context.Context, context.CancelFunc) {
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, f.timeout)
}

// errNoDaemon wraps an API call's failure with a hint.
func errNoDaemon(err error, addr string) error {
	return hintError{err: err, hints: []string{fmt.Sprintf("is 'sentinel run' running with its API on %s (--addr)?", addr)}}
}
