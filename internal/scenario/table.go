package scenario

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Table renders the results of cells as Markdown: a summary (rows ×
// sizes, pass or FAIL with a short reason) and a line per cell with its
// window, its size in lines, and the judge's reason. Everything in it is
// a pure function of the generator and the detector (no wall times), so
// that it can be pinned.
func Table(cells []*Cell, m Mode) string {
	var b strings.Builder
	var rows []*Row
	ran := map[float64]bool{} // sizes with a cell that ran
	seenRow := map[*Row]bool{}
	for _, c := range cells {
		if c.Verdict != nil {
			ran[c.Size] = true
		}
		if !seenRow[c.Row] {
			seenRow[c.Row] = true
			rows = append(rows, c.Row)
		}
	}
	var sizes []float64
	for s := range ran { // the table's, and any other a caller chose
		sizes = append(sizes, s)
	}
	slices.Sort(sizes)
	at := map[string]*Cell{}
	pass, run := 0, 0
	for _, c := range cells {
		at[c.Name()] = c
		if c.Verdict != nil {
			run++
			if c.Verdict.Pass {
				pass++
			}
		}
	}

	b.WriteString("| scenario \\ req/s |")
	for _, s := range sizes {
		b.WriteString(" " + SizeLabel(s) + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", len(sizes)) + "\n")
	for _, r := range rows {
		b.WriteString("| " + r.Name + " |")
		for _, s := range sizes {
			c := at[r.Name+"@"+SizeLabel(s)]
			switch {
			case c == nil:
				b.WriteString(" |")
			case c.Verdict == nil && m == Pinned:
				b.WriteString(" (full run) |")
			case c.Verdict == nil:
				b.WriteString(" |")
			case c.Verdict.Pass:
				b.WriteString(" pass " + c.Verdict.Short + " |")
			default:
				b.WriteString(" **FAIL** " + c.Verdict.Short + " |")
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "\n%d of %d cells pass.\n\n", pass, run)

	b.WriteString("| cell | window (UTC) | lines | result | why |\n|---|---|---|---|---|\n")
	for _, c := range cells {
		if c.Verdict == nil {
			continue
		}
		res := c.Result
		verdict := "pass"
		if !c.Verdict.Pass {
			verdict = "**FAIL**"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", c.Name(), windowText(res.Scenario), thousands(res.Figures.Requests),
			verdict, strings.ReplaceAll(c.Verdict.Reason, "|", "\\|"))
	}
	return b.String()
}

// windowText describes a scenario's window: "11-24 13:20 – 11-25 02:20
// (13h), attack 01:20".
func windowText(sc *Scenario) string {
	f := func(t time.Time) string {
		if t.YearDay() == day.YearDay() {
			return t.Format("15:04")
		}
		return t.Format("Jan 2 15:04")
	}
	s := f(sc.From) + "–" + f(sc.To) + " (" + dur(sc.To.Sub(sc.From)) + ")"
	if !sc.AttackAt.IsZero() {
		s += ", attack " + sc.AttackAt.Format("15:04")
	}
	if !sc.DeployAt.IsZero() {
		s += ", deploy " + sc.DeployAt.Format("15:04")
	}
	return s
}

// thousands prints n with commas.
func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
