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
threshold and the top offenders. A config's actions fire the narrow remedy a rule
opts in to — flip the sign-ups flag off, stop a machine — and undo it once the
rule has stayed quiet.

With no config it applies embedded default rules for web access logs and detects
the log format from the first lines. 'run' follows logs live; 'replay' runs the same
rules over old logs (listing the actions it would have taken, never taking them),
and 'explain' tells why each rule fired or did not.`,
		Example: `  sentinel replay samples/signup-flood.log
  sentinel explain -r traffic-spike samples/benign-ramp.log
  zcat access.log.*.gz | sentinel replay -
  sentinel run /var/log/nginx/access.log
  sentinel status
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
	root.Version = versionString()
	root.SetVersionTemplate("sentinel {{.Version}}\n")
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error { return usageError{err} })
	root.CompletionOptions.HiddenDefaultCmd = true
	root.AddCommand(newRun(), newReplay(), newExplain(), newCheck(), newStatus(), newReload(), newSilence(), newActions(), newLinks(), newTestAlert(), newVersion())
	return root
}
