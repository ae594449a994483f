package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/alerts"
)

func newTestAlert() *cobra.Command {
	var only, file string
	cmd := &cobra.Command{
		Use:   "test-alert [-c FILE] [--notifier NAME]",
		Short: "Send a clearly marked test alert through each notifier and report success or the exact error",
		Long: `test-alert sends one test alert, marked as a test, through every notifier the
environment enables and every notifier of the config file (-c), once, without
retries, and reports each outcome. The exit code is 1 when any notifier failed.

The environment variables that enable a notifier:
  ` + strings.Join(alerts.EnvHelp(), "\n  "),
		Example: `  SENTINEL_NTFY_URL=https://ntfy.sh/my-secret-topic sentinel test-alert`,
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := loadConfig(file, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if err := cfg.AddEnvNotifiers(os.LookupEnv); err != nil {
				return usageError{err}
			}
			var routes []alerts.Route
			for _, n := range cfg.Notifiers {
				routes = append(routes, n.Route)
			}
			out := cmd.OutOrStdout()
			if len(routes) == 0 {
				return usagef("no notifier configured: set one of the SENTINEL_* variables in 'sentinel test-alert --help', or add a config's notifiers: (see the README's Notifications)")
			}
			var names []string
			for _, r := range routes {
				names = append(names, r.Name)
			}
			if only != "" && !slices.Contains(names, only) {
				return usagef("no notifier is named %q; there are: %s", only, strings.Join(names, ", "))
			}
			now := time.Now().UTC()
			a := alert.Alert{Rule: "sentinel-test", Title: "Test alert", State: alert.Firing, Time: now, Since: now, Severity: alert.Info,
				Value: 1, Threshold: 1, Unit: alert.PerSecond, Window: time.Minute, Count: 1, Keys: []alert.KeyCount{{Key: "203.0.113.7", Count: 1}},
				Description: "This is a test alert from 'sentinel test-alert': if you read it, this notifier works.",
				Site:        cfg.GroupOptions(hostName()).Site, Labels: cfg.Settings.Labels}
			failed := 0
			for _, r := range routes {
				if only != "" && r.Name != only {
					continue
				}
				ctx, cancel := context.WithTimeout(cmd.Context(), 15*time.Second)
				err := r.Notifier.Notify(ctx, a)
				cancel()
				if err != nil {
					failed++
					fmt.Fprintf(out, "%-10s FAILED: %v\n", r.Name, err)
					continue
				}
				fmt.Fprintf(out, "%-10s ok\n", r.Name)
			}
			if failed > 0 {
				return fmt.Errorf("%d notifier(s) failed", failed)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "config", "c", "", "config file whose notifiers to test (default: the environment's)")
	cmd.Flags().StringVar(&only, "notifier", "", "send through this notifier only: its name in the config, or, for one the environment enables, its type (slack-bot for a Slack bot token)")
	return cmd
}
