package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/detector"
	"github.com/sentinel-dev/sentinel/fleet"
	"github.com/sentinel-dev/sentinel/links"
)

func newCheck() *cobra.Command {
	var file string
	var printDefaults bool
	cmd := &cobra.Command{
		Use:   "check [-c FILE]",
		Short: "Validate a config file (or the embedded defaults) and list every problem with file:line",
		Long: `check validates a config the way run and replay load it: unknown keys, wrong
types, bad durations, thresholds, regular expressions and CIDRs, unset ${ENV}
references. Every problem is listed as file:line: field: message, and the exit
code is 2 when there is any. Without -c it checks the embedded defaults.

It lists every rule and where it comes from (a config keeps the default rules
unless it says defaults: false; its rules add to them or replace one by name,
disable: drops some), every notifier — the environment's SENTINEL_* variables
and the config's — with its secrets redacted and where it came from, and warns
when a rule's alerts reach no notifier.`,
		Example: `  sentinel check -c sentinel.yaml
  sentinel check --print-defaults > sentinel.yaml`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			out := cmd.OutOrStdout()
			if printDefaults {
				_, err := out.Write(config.DefaultYAML())
				return err
			}
			cfg, err := loadConfig(file, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if _, err := detector.NewEngine(cfg.Rules, cfg.EngineOptions()); err != nil {
				return fmt.Errorf("%s: %w", cfg.File, err)
			}
			if err := cfg.AddEnvNotifiers(os.LookupEnv); err != nil {
				return usageError{err}
			}
			fmt.Fprintf(out, "%s: ok: %s, %d sources\n", cfg.File, ruleCounts(cfg), len(cfg.Sources))
			for _, r := range cfg.Rules {
				origin := ""
				if file != "" {
					origin = "  (" + cfg.RuleOrigins[r.Name] + ")"
				}
				fmt.Fprintf(out, "  %-22s %-8s %s%s\n", r.Name, r.Severity, describe(r), origin)
			}
			for _, name := range cfg.Disabled {
				fmt.Fprintf(out, "  %-22s disabled\n", name)
			}
			for _, n := range cfg.Notifiers {
				fmt.Fprintf(out, "  notifier %-13s %s: %s  (%s)\n", n.Route.Name, n.Shown, n.Route.Scope(), n.Route.Origin)
			}
			for _, w := range notifierWarnings(cfg) {
				fmt.Fprintf(cmd.ErrOrStderr(), "sentinel: warning: %s\n", w)
			}
			for _, a := range cfg.Actions {
				fmt.Fprintf(out, "  action   %-13s %s\n", a.Name, describeAction(a))
			}
			for _, s := range cfg.Silences {
				fmt.Fprintf(out, "  silence  %-13s until %s\n", s.Rule, s.Until.Format(time.RFC3339))
			}
			labels := map[string][]string{}
			for r, l := range cfg.GroupOptions("").Groups { // the default rules' labels too
				labels[l] = append(labels[l], r)
			}
			for _, l := range slices.Sorted(maps.Keys(labels)) {
				slices.Sort(labels[l])
				fmt.Fprintf(out, "  group    %-13s %s: one incident whenever they fire together\n", l, strings.Join(labels[l], ", "))
			}
			for _, in := range cfg.Incidents.Inhibit {
				fmt.Fprintf(out, "  inhibit  %-13s %s joins its incident quietly while it fires\n", in.Source, in.Target)
			}
			g := cfg.GroupOptions("")
			site := g.Site
			if site == "" {
				site = hostName() + " (the host name; settings.site names another)"
			}
			fmt.Fprintf(out, "  notifications: site %s; an incident's first after %s, its updates at most every %s",
				site, alert.FormatDuration(cmp.Or(g.Wait, alerts.DefaultGroupWait)), alert.FormatDuration(cmp.Or(g.Interval, alerts.DefaultGroupInterval)))
			if g.RemindEvery > 0 {
				fmt.Fprintf(out, ", reminders every %s", alert.FormatDuration(g.RemindEvery))
			}
			fmt.Fprintln(out)
			if p := cfg.Settings.Public; p != nil {
				fmt.Fprintf(out, "  %s\n", describePublic(p))
			}
			if fl := cfg.Settings.Fleet; fl.Enabled() {
				if err := fl.WithDefaults().Check(); err != nil {
					return usageError{fmt.Errorf("fleet: %w", err)}
				}
				fl = fl.WithDefaults()
				var rules []string
				for _, r := range cfg.Rules {
					if r.Fleet {
						rules = append(rules, r.Name)
					}
				}
				fmt.Fprintf(out, "  fleet    site %s, node %s, redis %s (from %s), lease %s; fleet-wide rules: %s\n",
					fl.Site, fl.Node, fleet.Redact(fl.Redis), fl.From, alert.FormatDuration(fl.Lease), strings.Join(rules, ", "))
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "", "config file to check (default: the embedded defaults)")
	cmd.Flags().BoolVar(&printDefaults, "print-defaults", false, "print the embedded default rules as YAML, a starting point for a config")
	return cmd
}

// ruleCounts says how many rules a config runs and where they come from:
// "9 rules (7 default, 1 replaced, 1 added, 1 disabled)".
func ruleCounts(cfg *config.Config) string {
	var def, replaced, added int
	for _, o := range cfg.RuleOrigins {
		switch {
		case o == "defaults":
			def++
		case strings.HasSuffix(o, "replacing the default"):
			replaced++
		default:
			added++
		}
	}
	s := fmt.Sprintf("%d rules", len(cfg.Rules))
	if cfg.File == config.DefaultFile || len(cfg.RuleOrigins) == 0 {
		return s
	}
	var parts []string
	for _, p := range []struct {
		n    int
		what string
	}{{def, "default"}, {replaced, "replaced"}, {added, "added"}, {len(cfg.Disabled), "disabled"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.what))
		}
	}
	return s + " (" + strings.Join(parts, ", ") + ")"
}

// notifierWarnings says which rules' alerts reach no notifier: all of
// them when there is none, else those every route leaves out by severity
// or rule.
func notifierWarnings(cfg *config.Config) []string {
	if len(cfg.Notifiers) == 0 {
		return []string{"no notifier: alerts go to stdout only (set SENTINEL_NTFY_URL or another variable of 'sentinel test-alert --help', or add notifiers:)"}
	}
	var out []string
	for _, r := range cfg.Rules {
		// A rule whose evidence can make it critical reaches what a
		// critical alert reaches.
		most := r.Severity
		if r.Evidence != nil {
			most = alert.Critical
		}
		reached := false
		for _, n := range cfg.Notifiers {
			rt := n.Route
			if alerts.SeverityReaches(most, rt.MinSeverity) && (len(rt.Rules) == 0 || slices.Contains(rt.Rules, r.Name)) {
				reached = true
				break
			}
		}
		if !reached {
			out = append(out, fmt.Sprintf("rule %s (%s) reaches no notifier: every notifier leaves it out by min_severity or rules", r.Name, r.Severity))
		}
	}
	return out
}

// loadConfig loads file, or the embedded defaults when file is "", and
// prints the config's warnings to stderr. A config file that does not
// exist is bad usage.
func loadConfig(file string, stderr io.Writer) (*config.Config, error) {
	if file == "" {
		return config.Default(), nil
	}
	cfg, err := config.Load(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, usageError{err}
	}
	if err != nil {
		return nil, err
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "sentinel: warning: %s\n", w)
	}
	return cfg, nil
}

// describeAction summarises an action in one line: what it does, for
// which rules, how it is undone and its guardrails.
func describeAction(a *actions.Action) string {
	s := a.Do.String() + " when " + strings.Join(a.Rules, " or ") + " fires"
	if a.Undo != nil {
		s += "; revert " + a.Undo.String() + " after " + alert.FormatDuration(a.RevertAfter) + " quiet"
		if a.MaxDuration > 0 {
			s += " (sooner past " + alert.FormatDuration(a.MaxDuration) + ")"
		}
	} else {
		s += "; never reverted"
	}
	capText := func(n int, per string) string {
		if n == 0 {
			return "no cap " + per
		}
		return fmt.Sprintf("at most %d %s", n, per)
	}
	s += fmt.Sprintf("; cooldown %s, %s, %s", alert.FormatDuration(a.Cooldown), capText(a.MaxPerHour, "an hour"), capText(a.MaxPerDay, "a day"))
	if a.DryRun {
		s += "; dry run"
	}
	return s
}

// describe summarises a rule's detector in one line.
func describe(r detector.Rule) string {
	over := " over " + alert.FormatDuration(r.Window)
	var s string
	switch {
	case r.Type == detector.Absence:
		s = "absence: no event for " + alert.FormatDuration(r.Window)
	case r.Type == detector.Ratio && r.PerKey:
		s = fmt.Sprintf("ratio per %s ≥ %s%s, at least %d events each", r.GroupBy.Name, alert.FormatValue(r.Threshold, alert.Share), over, r.MinEvents)
	case r.Type == detector.Ratio && r.Baseline == nil:
		s = fmt.Sprintf("ratio ≥ %s%s, at least %d events", alert.FormatValue(r.Threshold, alert.Share), over, r.MinEvents)
	case r.Baseline != nil:
		b := r.Baseline
		what := "rate"
		unit := alert.PerSecond
		switch r.Type {
		case detector.Distinct:
			what, unit = "distinct "+r.Field.Name, ""
		case detector.Ratio:
			what, unit = fmt.Sprintf("ratio (at least %d events)", r.MinEvents), alert.Share
		}
		if r.PerKey {
			what += " per " + r.GroupBy.Name + beyond(r)
		}
		var parts []string
		if b.Factor > 0 {
			parts = append(parts, fmt.Sprintf("%g×", b.Factor))
		}
		if b.Sigmas > 0 {
			parts = append(parts, fmt.Sprintf("%gσ", b.Sigmas))
		}
		dir, floor := "above", "at least"
		if b.Down {
			dir, floor = "below", "on a baseline of at least"
		}
		floorText := strings.TrimSpace(alert.FormatValue(b.Floor, unit))
		if b.ShareFloor > 0 && b.ShareFloor < b.Floor && r.Evidence != nil {
			floorText += " (" + strings.TrimSpace(alert.FormatValue(b.ShareFloor, unit)) + " while " +
				strings.TrimSpace(alert.FormatValue(r.Evidence.Share, alert.Share)) + " of " + detector.BlockName(r.Evidence.ShareOf) + ")"
		}
		s = fmt.Sprintf("%s %s %s baseline%s, %s %s, warm-up %s", what, strings.Join(parts, " and "), dir, over, floor,
			floorText, alert.FormatDuration(b.Warmup))
		if b.WarmupFloor > 0 {
			s += " (fires at " + strings.TrimSpace(alert.FormatValue(max(b.WarmupFloor, b.Floor), unit)) + " meanwhile"
			if b.WarmupShare > 0 && r.Evidence != nil {
				s += ", unless under " + strings.TrimSpace(alert.FormatValue(b.WarmupShare, alert.Share)) + " of " + detector.BlockName(r.Evidence.ShareOf)
			}
			s += ")"
		}
		if b.LullFactor > 0 {
			s += fmt.Sprintf(", silent %g× the longest lull of the %d minutes before (at most %s)", b.LullFactor, detector.LullMinutes, alert.FormatDuration(detector.MaxLullWait))
		}
		switch {
		case b.WarmupFactor > 0 && b.Down:
			s += fmt.Sprintf(" (fires under 1/%g of what it learned so far meanwhile, %d windows after it began learning, every value at the floor or more)", b.WarmupFactor, detector.DownYoungWindows)
		case b.WarmupFactor > 0:
			s += fmt.Sprintf(" (fires at %g× what it learned so far meanwhile, after its first window)", b.WarmupFactor)
		}
		if b.KeyOrdinaryShare > 0 && r.Evidence != nil {
			s += ", no key under " + strings.TrimSpace(alert.FormatValue(b.KeyOrdinaryShare, alert.Share)) + " of its " + detector.BlockName(r.Evidence.ShareOf)
		}
		if b.FollowTraffic {
			s += fmt.Sprintf(", the baseline rising with the requests (up to %g×)", detector.MaxTrafficScale)
		}
		if b.RecurringDaily {
			s += fmt.Sprintf(", not under %g× what it reached within an hour of this time yesterday", detector.RecurFactor)
		}
	case r.Type == detector.Distinct:
		s = fmt.Sprintf("distinct %s ≥ %s%s", r.Field.Name, alert.FormatValue(r.Threshold, ""), over)
	default: // rate, and any type that compares its value with a threshold
		per := ""
		if r.PerKey {
			per = " per " + r.GroupBy.Name + beyond(r)
		}
		s = fmt.Sprintf("%s%s ≥ %s%s", r.Type, per, alert.FormatValue(r.Threshold, r.Type.Unit()), over)
	}
	if r.Chance > 0 {
		if r.PerKey {
			s += fmt.Sprintf(", as many hits coming by chance under once in %s windows at the key's own normal share (learned over a day; the chance shared among the keys with min_events)", alert.Thousands(uint64(math.Round(1/r.Chance))))
		} else {
			s += fmt.Sprintf(", as many hits coming by chance under once in %s windows at the rule's normal share (learned over a day; a client's clustered hits counted as one)", alert.Thousands(uint64(math.Round(1/r.Chance))))
		}
	}
	if r.MinSpan > 0 {
		s += ", spread over at least " + alert.FormatDuration(r.MinSpan)
		if len(r.YieldTo) > 0 {
			s += ", counting nothing while " + strings.Join(r.YieldTo, " or ") + " fires"
		}
	}
	if r.For > 0 {
		s += ", for " + alert.FormatDuration(r.For)
	}
	if r.KeepFiringFor > 0 {
		s += ", firing until clear for " + alert.FormatDuration(r.KeepFiringFor)
	}
	if e := r.Evidence; e != nil {
		var signs []string
		if e.Cold > 0 {
			signs = append(signs, alert.FormatValue(e.Cold, alert.Share)+" cold")
		}
		if e.NoPause > 0 {
			signs = append(signs, alert.FormatValue(e.NoPause, alert.Share)+" without a pause")
		}
		if e.Share > 0 {
			signs = append(signs, alert.FormatValue(e.Share, alert.Share)+" of "+detector.BlockName(e.ShareOf))
		}
		if e.ClientsPerAgent > 0 {
			signs = append(signs, fmt.Sprintf("%g clients per user agent", e.ClientsPerAgent))
		}
		s += "; critical when " + strings.Join(signs, " or ")
	}
	return s
}

// describePublic says what check shows of settings.public: "links:
// https://sentinel.example.com (listener 127.0.0.1:9912), valid 24h,
// silence 1h".
func describePublic(p *config.Public) string {
	u := p.URL
	if u == "" {
		u = "http://" + p.Listen + " (the listener's own address: this machine only)"
	}
	ttl := p.LinkTTL
	if ttl == 0 {
		ttl = links.DefaultTTL
	}
	return fmt.Sprintf("links: %s (listener %s), each valid %s, silence %s", u, p.Listen, alert.FormatDuration(ttl),
		alert.FormatDuration(p.SilenceFor))
}

// beyond says what a per-key rule leaves out of each key.
func beyond(r detector.Rule) string {
	if r.BeyondBusiest == nil {
		return ""
	}
	return " beyond its busiest " + r.BeyondBusiest.Name
}
