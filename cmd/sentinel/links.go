package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sentinel-dev/sentinel/links"
	"github.com/sentinel-dev/sentinel/state"
)

func newLinks() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "links",
		Short: "Revoke every signed link the alerts carry, or read their audit log",
		Long: `links manages the signed one-tap links that notifications carry when the config's
settings.public is set (README: Acting from your phone): silence 1h, run an action
now, revert a remedy, stop reminders. Each link opens a confirmation page on the
public listener, acts only from that page's button, works once and expires.

  rotate-key  replace the key that signs the links (links.key in the state dir):
              every link sent so far is refused from then on, by the running
              daemon too; new notifications carry links signed with the new key.
              Deleting links.key does the same at the daemon's next link.
  log         print the links' audit log (links.jsonl in the state dir): every
              request to a link, whatever came of it, with its reason.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return cmd.Help() },
	}
	cmd.AddCommand(newLinksRotate(), newLinksLog())
	return cmd
}

func addStateDirFlag(cmd *cobra.Command, dir *string) {
	cmd.Flags().StringVar(dir, "state-dir", "", "the daemon's state directory (default: $STATE_DIRECTORY, $XDG_STATE_HOME/sentinel or ~/.local/state/sentinel)")
}

func stateDirOr(dir string) string {
	if dir == "" {
		return state.DefaultDir()
	}
	return dir
}

func newLinksRotate() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:     "rotate-key",
		Aliases: []string{"revoke"},
		Short:   "Replace the links' key: every link sent so far stops working",
		Args:    noArgs,
		Example: `  sentinel links rotate-key --state-dir /var/lib/sentinel`,
		RunE: func(cmd *cobra.Command, args []string) error {
			path := filepath.Join(stateDirOr(dir), links.KeyFile)
			_, err := os.Stat(path)
			had := err == nil
			if err := links.RotateKey(path); err != nil {
				return err
			}
			if !had {
				// Nothing was revoked: most likely not the daemon's state
				// directory (sudo without --state-dir is root's own).
				fmt.Fprintf(cmd.OutOrStdout(), "%s: new key\n", path)
				fmt.Fprintf(cmd.ErrOrStderr(), "sentinel: warning: there was no key at %s, so no link was signed with it and none is revoked: "+
					"name the daemon's state directory with --state-dir (/var/lib/sentinel under systemd)\n", path)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: new key; every link sent before now is refused\n", path)
			return nil
		},
	}
	addStateDirFlag(cmd, &dir)
	return cmd
}

func newLinksLog() *cobra.Command {
	var dir string
	var last int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "log",
		Short: "Print the links' audit log: every request to a link and its outcome",
		Args:  noArgs,
		Example: `  sentinel links log --state-dir /var/lib/sentinel
  sentinel links log -n 0 --json | jq 'select(.outcome != "shown")'`,
		RunE: func(cmd *cobra.Command, args []string) error {
			path := filepath.Join(stateDirOr(dir), links.AuditFile)
			f, err := os.Open(path)
			if errors.Is(err, fs.ErrNotExist) {
				fmt.Fprintf(cmd.ErrOrStderr(), "sentinel: no links audit at %s: no link was opened yet, "+
					"or the daemon's state directory is another: name it with --state-dir (/var/lib/sentinel under systemd)\n", path)
				return nil
			}
			if err != nil {
				return err
			}
			defer f.Close()
			return writeLinksLog(cmd.OutOrStdout(), f, last, asJSON)
		},
	}
	addStateDirFlag(cmd, &dir)
	cmd.Flags().IntVarP(&last, "last", "n", 50, "print the last N entries (0: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the entries as they are stored, one JSON object a line")
	return cmd
}

// writeLinksLog prints the last entries of an audit log read from r.
func writeLinksLog(w io.Writer, r io.Reader, last int, asJSON bool) error {
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if last > 0 && len(lines) > last {
			lines = lines[1:]
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read links audit: %w", err)
	}
	for _, l := range lines {
		if asJSON {
			fmt.Fprintln(w, l)
			continue
		}
		var e links.Entry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			fmt.Fprintf(w, "(undecodable line: %v)\n", err)
			continue
		}
		what := strings.TrimSpace(e.Verb + " " + e.Target)
		if what == "" {
			what = "-"
		}
		fmt.Fprintf(w, "%s %-4s %-13s %-28s %-15s", e.At.UTC().Format(time.RFC3339), e.Method, e.Outcome, what, e.ClientIP)
		if e.Route != "" {
			fmt.Fprintf(w, " sent to %s", e.Route)
		}
		if e.Reason != "" {
			fmt.Fprintf(w, " — %s", e.Reason)
		}
		if e.Detail != "" {
			fmt.Fprintf(w, " — %s", e.Detail)
		}
		fmt.Fprintln(w)
	}
	return nil
}
