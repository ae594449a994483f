package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sentinel-dev/sentinel/actions"
	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/server"
)

func newActions() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "actions",
		Short: "List a running daemon's actions and what is on now; pause or resume them",
		Long: `actions talks to a running daemon about its actions (the config's actions:):
the remedies a rule opts in to, such as flipping a feature flag off, and the
reverts that undo them.

  list    the configured actions, the remedies on now and when each will be
          reverted, and the last attempts from the audit log
  pause   the kill switch: no new action runs until resume; remedies already
          on are still reverted, so nothing stays switched off
  resume  lift the pause

The pause is saved with the daemon's state and outlasts a restart.`,
		Args: noArgs,
	}
	cmd.AddCommand(newActionsList(), newActionsPause(true), newActionsPause(false))
	return cmd
}

func newActionsList() *cobra.Command {
	var f apiFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "Show the configured actions, the remedies on now, when each will be undone, and the last attempts",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := fetchStatus(cmd, f)
			if err != nil {
				return err
			}
			as := st.Actions
			if as == nil {
				as = &actions.Status{Actions: []actions.ActionStatus{}, Episodes: []actions.EpisodeStatus{}, Recent: []actions.Entry{}}
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), as)
			}
			writeActions(cmd.OutOrStdout(), *as)
			return nil
		},
	}
	addAPIFlags(cmd, &f)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func newActionsPause(pause bool) *cobra.Command {
	var f apiFlags
	use, short := "resume", "Lift the pause: actions run again when their rules fire"
	if pause {
		use, short = "pause", "Kill switch: run no new action until resume (remedies on are still reverted)"
	}
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := f.context(cmd.Context())
			defer cancel()
			if err := server.RequestPause(ctx, f.addr, f.token, pause); err != nil {
				return errNoDaemon(err, f.addr)
			}
			if pause {
				fmt.Fprintln(cmd.OutOrStdout(), "actions paused: no new action runs until 'sentinel actions resume'; remedies on are still reverted")
			} else {
				fmt.Fprintln(cmd.OutOrStdout(), "actions resumed")
			}
			return nil
		},
	}
	addAPIFlags(cmd, &f)
	return cmd
}

// writeActions prints the actions' status for people.
func writeActions(w io.Writer, s actions.Status) {
	switch {
	case len(s.Actions) == 0 && len(s.Episodes) == 0:
		fmt.Fprintln(w, "no actions configured (a config's actions: section adds them)")
		return
	case s.Paused:
		fmt.Fprintln(w, "PAUSED: no new action runs ('sentinel actions resume' lifts it)")
	}
	if s.DryRun {
		fmt.Fprintln(w, "dry run: actions are logged, no request is made (--dry-run)")
	}
	fmt.Fprintln(w, "actions:")
	for _, a := range s.Actions {
		fmt.Fprintf(w, "  %-16s %s when %s fires\n", a.Name, a.Request, strings.Join(a.Rules, " or "))
		if a.Revert != "" {
			fmt.Fprintf(w, "  %-16s revert %s after %s quiet\n", "", a.Revert, alert.FormatDuration(time.Duration(a.RevertAfter*float64(time.Second))))
		}
		if a.DryRun {
			fmt.Fprintf(w, "  %-16s dry run\n", "")
		}
	}
	fmt.Fprintln(w, "on now:")
	if len(s.Episodes) == 0 {
		fmt.Fprintln(w, "  nothing")
	}
	for _, e := range s.Episodes {
		when := "when " + strings.Join(e.Firing, " and ") + " stops firing"
		switch {
		case e.Revert == "":
			when = "never (no revert configured)"
		case e.Status == actions.StatusReverting:
			when = "now (under way)"
		case e.Status == actions.StatusRevertFailed:
			when = "FAILED: the remedy is still on, undo it by hand (or it is tried again after its rules fire and go quiet)"
		case !e.RevertAt.IsZero():
			when = e.RevertAt.UTC().Format(time.RFC3339) + " (log time)"
		}
		dry := ""
		if e.DryRun {
			dry = ", dry run"
		}
		fmt.Fprintf(w, "  %-16s %s since %s (by %s%s); revert %s\n", e.Action, e.Status, e.Applied.UTC().Format(time.RFC3339), e.Rule, dry, when)
		if !e.RetryAt.IsZero() {
			retry := "request failed, tried again at " + e.RetryAt.UTC().Format(time.RFC3339)
			if e.RequestedWaitSeconds > 0 {
				retry += " (the receiver asked to wait " + alert.FormatDuration(time.Duration(e.RequestedWaitSeconds*float64(time.Second))) + ")"
			}
			fmt.Fprintf(w, "  %-16s %s\n", "", retry)
		}
	}
	if len(s.Recent) > 0 {
		fmt.Fprintln(w, "last attempts:")
	}
	for _, e := range s.Recent {
		line := fmt.Sprintf("  %s %-16s %-6s %-8s %s", e.At.UTC().Format(time.RFC3339), e.Action, e.Phase, e.Outcome, e.Request)
		if e.Status != 0 {
			line += fmt.Sprintf(" → %d", e.Status)
		}
		if e.Reason != "" {
			line += ": " + e.Reason
		}
		if e.Error != "" {
			line += ": " + e.Error
		}
		fmt.Fprintln(w, alert.Sanitize(line, 400))
	}
}
