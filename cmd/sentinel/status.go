package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/sentinel-dev/sentinel/server"
)

func newStatus() *cobra.Command {
	var f apiFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a running daemon's sources and rules: lines read, lag, each rule's value and state, and its latencies",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := fetchStatus(cmd, f)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), st)
			}
			return server.WriteStatus(cmd.OutOrStdout(), st)
		},
	}
	addAPIFlags(cmd, &f)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the status as JSON")
	return cmd
}

// fetchStatus asks the daemon at f.addr for its status.
func fetchStatus(cmd *cobra.Command, f apiFlags) (server.Status, error) {
	ctx, cancel := f.context(cmd.Context())
	defer cancel()
	st, err := server.FetchStatus(ctx, f.addr, f.token)
	if err != nil {
		return st, errNoDaemon(err, f.addr)
	}
	return st, nil
}

func newReload() *cobra.Command {
	var f apiFlags
	cmd := &cobra.Command{
		Use:   "reload",
		Short: "Ask a running daemon to reload its config (as SIGHUP does), and report the outcome",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := f.context(cmd.Context())
			defer cancel()
			if err := server.RequestReload(ctx, f.addr, f.token); err != nil {
				var re *server.ReloadError
				if errors.As(err, &re) { // the new config is invalid: the running one stays
					return usageError{fmt.Errorf("reload rejected, the running config stays: %w", err)}
				}
				return errNoDaemon(fmt.Errorf("reload: %w", err), f.addr)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "reloaded")
			return nil
		},
	}
	addAPIFlags(cmd, &f)
	return cmd
}

// writeJSON writes v as indented JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newSilence() *cobra.Command {
	var f apiFlags
	var length time.Duration
	cmd := &cobra.Command{
		Use:   "silence RULE | silence list",
		Short: "Hold back a rule's notifications on a running daemon for a while (--for 0 lifts it); list the silences",
		Long: `silence asks a running daemon to hold back the notifications of RULE for --for
(2h by default); --for 0 lifts the silence early. The rule still fires on stdout,
in the log, the metrics and status: only the notifiers stay quiet. The silence is
saved with the daemon's state, so it outlasts a restart; a config file's
silences: section sets lasting ones. A rule that resolves while silenced sends
its resolution when the silence ends: none is lost. 'sentinel silence list'
shows the silences in force.`,
		Example: `  sentinel silence traffic-drop --for 3h   # maintenance tonight
  sentinel silence traffic-drop --for 0    # over early
  sentinel silence list                    # what is silenced, until when, set by whom`,
		Args: oneArg,
		RunE: func(cmd *cobra.Command, args []string) error {
			if length < 0 {
				return usageError{fmt.Errorf("--for %s: must not be negative", length)}
			}
			ctx, cancel := f.context(cmd.Context())
			defer cancel()
			until, err := server.RequestSilence(ctx, f.addr, f.token, args[0], length)
			if err != nil {
				var se *server.SilenceError
				if errors.As(err, &se) {
					return usageError{fmt.Errorf("silence refused: %w", err)}
				}
				return errNoDaemon(err, f.addr)
			}
			if until.IsZero() {
				fmt.Fprintf(cmd.OutOrStdout(), "%s: silence lifted\n", args[0])
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: silenced until %s\n", args[0], until.Local().Format(time.RFC3339))
			return nil
		},
	}
	addAPIFlags(cmd, &f)
	cmd.Flags().DurationVar(&length, "for", 2*time.Hour, "how long to hold back the rule's notifications; 0 lifts its silence")
	cmd.AddCommand(newSilenceList())
	return cmd
}

func newSilenceList() *cobra.Command {
	var f apiFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List a running daemon's silences: rule, until when, and who set it (the config or the API)",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := f.context(cmd.Context())
			defer cancel()
			list, err := server.FetchSilences(ctx, f.addr, f.token)
			if err != nil {
				return errNoDaemon(err, f.addr)
			}
			if asJSON {
				return writeJSON(cmd.OutOrStdout(), list)
			}
			return server.WriteSilences(cmd.OutOrStdout(), list)
		},
	}
	addAPIFlags(cmd, &f)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the silences as JSON")
	return cmd
}
