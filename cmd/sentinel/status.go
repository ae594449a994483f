package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/sentinel-dev/sentinel/server"
)

func newStatus() *cobra.Command {
	var f apiFlags
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show a running daemon's sources and rules: lines read, lag, each rule's value and state",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, cancel := f.context(cmd.Context())
			defer cancel()
			st, err := server.FetchStatus(ctx, f.addr, f.token)
			if err != nil {
				return errNoDaemon(err, f.addr)
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
