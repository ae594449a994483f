package main

import (
	"io"

	"github.com/spf13/cobra"
)

// newRoot builds the command tree.
func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "sentinel",
		Short: "Watch web access logs for abuse and breakage; replay old logs through the same rules",
		Long: `sentinel reads web access logs (nginx, Apache, Caddy, Traefik, Heroku, Phoenix,
JSON and logfmt), spots abuse and breakage in seconds — sign-up floods, credential
stuffing, request floods, 5xx storms — and reports each alert with its value, its
threshold and the top offenders.

With no config it applies embedded default rules for web access logs and detects
the log format from the first lines.`,
		Example: `  sentinel replay samples/signup-flood.log
  sentinel replay --output json /var/log/nginx/access.log.1
  zcat access.log.*.gz | sentinel replay -
  sentinel check -c sentinel.yaml`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// A stray word is an unknown command, and bad usage.
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{err} })
	root.CompletionOptions.HiddenDefaultCmd = true
	root.AddCommand(newRun(), newReplay(), newExplain(), newCheck(), newStatus(), newReload(), newVersion())
	return root
}
