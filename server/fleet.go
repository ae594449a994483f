package server

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/fleet"
)

// writeFleet writes the fleet's part of the status: the mode, the
// evaluator, Redis's round-trip time, and the nodes heard from in the
// last minute. Names come from configs and Redis: they are escaped.
func writeFleet(b *strings.Builder, f *fleet.Status) {
	if f == nil {
		return
	}
	b.WriteByte('\n')
	mode := f.Mode
	switch f.Mode {
	case fleet.ModeFleet:
		mode = "fleet mode"
	case fleet.ModeLocal:
		mode = "LOCAL RULES ONLY (fallen back)"
	}
	fmt.Fprintf(b, "fleet %s: node %s, %s since %s\n", alert.Sanitize(f.Site, maxNameRunes), alert.Sanitize(f.Node, maxNameRunes),
		mode, formatTime(f.Since))
	if f.Reason != "" {
		fmt.Fprintf(b, "  why: %s\n", alert.Sanitize(f.Reason, 300))
	}
	// Fallen back, what Redis told is as of the fallback: the evaluator
	// and the nodes may have changed since.
	local := f.Mode == fleet.ModeLocal
	evaluator := orDash(alert.Sanitize(f.Evaluator, maxNameRunes))
	if f.Evaluating {
		evaluator += fmt.Sprintf(" (this node, token %d)", f.Token)
	}
	if local && f.Evaluator != "" {
		evaluator += " (as Redis last told, before the fallback)"
	}
	fmt.Fprintf(b, "  evaluator %s; redis %s, round trip %s; evaluated up to %s\n", evaluator,
		alert.Sanitize(f.Redis, maxPathRunes), formatRTT(f.RTTSeconds), formatTime(f.Evaluated))
	if len(f.Firing) > 0 {
		names := make([]string, len(f.Firing))
		for i, r := range f.Firing {
			names[i] = alert.Sanitize(r, maxNameRunes)
		}
		fmt.Fprintf(b, "  firing for the fleet: %s\n", strings.Join(names, ", "))
	}
	if f.Backlog > 0 || f.Late > 0 || f.Dropped > 0 || f.Unconfirmed > 0 {
		fmt.Fprintf(b, "  deltas: %d waiting, %d late, %d dropped, %d unconfirmed\n", f.Backlog, f.Late, f.Dropped, f.Unconfirmed)
	}
	if len(f.Nodes) == 0 {
		return
	}
	when, ago := "in the last minute", "ago"
	if local {
		when, ago = "in the minute before the fallback (as Redis last told)", "before it"
	}
	fmt.Fprintf(b, "  %d nodes seen %s:\n", len(f.Nodes), when)
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  NODE\tLAST SEEN\tCLOCK")
	for _, n := range f.Nodes {
		fmt.Fprintf(tw, "  %s\t%s %s\t%s\n", alert.Sanitize(n.Name, maxNameRunes),
			formatLag(n.LastSeenSeconds), ago, formatTime(n.Clock))
	}
	tw.Flush()
}

func formatRTT(sec float64) string {
	if sec <= 0 {
		return "-"
	}
	return time.Duration(sec * float64(time.Second)).Round(10 * time.Microsecond).String()
}
