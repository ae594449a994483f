package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/internal/scenario"
)

// matrixFlags are the flags of the scenario matrix mode.
type matrixFlags struct {
	mode     string // "pinned" or "full"
	sentinel string
	docs     string
	update   bool
	cells    string
	log      string
	out      string
	parallel int
}

// runMatrix runs the scenario matrix (or writes one cell's log) and
// returns the exit code.
func runMatrix(ctx context.Context, f matrixFlags, stdout, stderr io.Writer) int {
	var mode scenario.Mode
	switch f.mode {
	case "parity":
		return runParity(ctx, f, stderr)
	case "pinned":
		mode = scenario.Pinned
	case "full":
		mode = scenario.Full
	case "sweep":
		mode = scenario.Sweep
	default:
		fmt.Fprintf(stderr, "samplegen: -matrix must be pinned, full, sweep or parity, not %q\n", f.mode)
		return 2
	}
	if f.log != "" {
		return writeCellLog(f, mode, stdout, stderr)
	}
	cells, err := selectCells(mode.Rows(), f.cells)
	if err != nil {
		fmt.Fprintf(stderr, "samplegen: %v\n", err)
		return 2
	}
	if f.update && f.docs == "" {
		fmt.Fprintln(stderr, "samplegen: -update needs -docs FILE")
		return 2
	}
	if f.docs != "" && f.cells != "" {
		fmt.Fprintln(stderr, "samplegen: -docs compares the whole matrix; leave out -cells")
		return 2
	}
	bin, done, err := sentinelBinary(ctx, f)
	if err != nil {
		fmt.Fprintf(stderr, "samplegen: error: %v\n", err)
		return 1
	}
	defer done()
	start := time.Now()
	n, total := 0, 0
	for _, c := range cells {
		if scenario.Included(c.Row, c.Size, mode) {
			total++
		}
	}
	if total == 0 {
		fmt.Fprintf(stderr, "samplegen: none of these cells is in the %s matrix (it runs fewer rows at the bigger sizes); -matrix full runs every cell\n", mode)
		return 2
	}
	err = scenario.Run(ctx, &scenario.Replayer{Binary: bin}, cells, mode, f.parallel, func(c *scenario.Cell) {
		n++
		verdict := "pass"
		if !c.Verdict.Pass {
			verdict = "FAIL"
		}
		fmt.Fprintf(stderr, "[%d/%d %s] %-28s %9d lines %6.1fs  %s %s\n", n, total, time.Since(start).Round(time.Second),
			c.Name(), c.Result.Figures.Requests, c.Result.Wall.Seconds(), verdict, c.Verdict.Reason)
	})
	if err != nil {
		fmt.Fprintf(stderr, "samplegen: error: %v\n", err)
		return 1
	}
	table := scenario.Table(cells, mode)
	if f.docs == "" {
		fmt.Fprint(stdout, table)
		return 0
	}
	doc, err := os.ReadFile(f.docs)
	if err != nil {
		fmt.Fprintf(stderr, "samplegen: error: %v\n", err)
		return 1
	}
	if f.update {
		out, err := scenario.ReplaceSection(doc, mode.String(), table)
		if err == nil {
			err = os.WriteFile(f.docs, out, 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "samplegen: error: %s: %v\n", f.docs, err)
			return 1
		}
		fmt.Fprintf(stderr, "samplegen: wrote the %s matrix into %s\n", mode, f.docs)
		return 0
	}
	want, err := scenario.Section(doc, mode.String())
	if err != nil {
		fmt.Fprintf(stderr, "samplegen: error: %s: %v\n", f.docs, err)
		return 1
	}
	if want != table {
		fmt.Fprintf(stderr, "samplegen: the %s scenario matrix differs from %s (-want +got):\n%s", mode, f.docs, scenario.Diff(want, table))
		fmt.Fprintf(stderr, "samplegen: review the change, then rewrite the table with -update\n")
		return 1
	}
	fmt.Fprintf(stderr, "samplegen: the %s scenario matrix matches %s\n", mode, f.docs)
	return 0
}

// sentinelBinary returns the sentinel binary of -sentinel, else one built
// from ./cmd/sentinel into a temporary directory that done removes.
func sentinelBinary(ctx context.Context, f matrixFlags) (bin string, done func(), err error) {
	if f.sentinel != "" {
		return f.sentinel, func() {}, nil
	}
	dir, err := os.MkdirTemp("", "samplegen-sentinel-")
	if err != nil {
		return "", nil, err
	}
	bin = filepath.Join(dir, "sentinel")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/sentinel-dev/sentinel/cmd/sentinel").CombinedOutput(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("build sentinel: %v\n%s", err, out)
	}
	return bin, func() { os.RemoveAll(dir) }, nil
}

// runParity replays the parity cells (scenario.ParityCells, or those of
// -cells, each row@size) in combined and every format of
// scenario.ParityFormats, and compares each format's alerts with
// combined's (scenario.Parity). It returns 1 when one differs.
func runParity(ctx context.Context, f matrixFlags, stderr io.Writer) int {
	if f.log != "" || f.docs != "" || f.update {
		fmt.Fprintln(stderr, "samplegen: -matrix parity takes -cells, -sentinel and -parallel only")
		return 2
	}
	cells := scenario.ParityCells
	if f.cells != "" {
		cells = strings.Split(f.cells, ",")
		for _, c := range cells {
			row, size, ok := strings.Cut(c, "@")
			if _, err := scenario.Find(scenario.Rows, row); !ok || err != nil {
				fmt.Fprintf(stderr, "samplegen: -matrix parity: cell %q: want row@size, a row of the matrix\n", c)
				return 2
			}
			if s, err := strconv.ParseFloat(size, 64); err != nil || s <= 0 {
				fmt.Fprintf(stderr, "samplegen: -matrix parity: cell %q: want row@size, a size above 0\n", c)
				return 2
			}
		}
	}
	bin, done, err := sentinelBinary(ctx, f)
	if err != nil {
		fmt.Fprintf(stderr, "samplegen: error: %v\n", err)
		return 1
	}
	defer done()
	start := time.Now()
	diffs, err := scenario.Parity(ctx, &scenario.Replayer{Binary: bin}, cells, f.parallel)
	if err != nil {
		fmt.Fprintf(stderr, "samplegen: error: %v\n", err)
		return 1
	}
	for _, d := range diffs {
		fmt.Fprintf(stderr, "samplegen: %s\n", strings.TrimRight(d, "\n"))
	}
	n := len(cells) * (1 + len(scenario.ParityFormats))
	if len(diffs) > 0 {
		fmt.Fprintf(stderr, "samplegen: %d differences in %d replays (%s)\n", len(diffs), n, time.Since(start).Round(time.Second))
		return 1
	}
	fmt.Fprintf(stderr, "samplegen: %s in %s: every format gave combined's alerts (%d replays, %s)\n",
		strings.Join(cells, ", "), strings.Join(scenario.ParityFormats, ", "), n, time.Since(start).Round(time.Second))
	return 0
}

// selectCells returns the cells of rows named in list
// ("signup-flood@300,benign", a row alone meaning every size, "@0.2" every
// row at a size), or every cell when list is empty.
func selectCells(all []*scenario.Row, list string) ([]*scenario.Cell, error) {
	if list == "" {
		return scenario.Matrix(all, scenario.Sizes), nil
	}
	var cells []*scenario.Cell
	for _, item := range strings.Split(list, ",") {
		name, size, hasSize := strings.Cut(strings.TrimSpace(item), "@")
		rows := all
		if name != "" {
			r, err := scenario.Find(all, name)
			if err != nil {
				return nil, err
			}
			rows = []*scenario.Row{r}
		}
		sizes := scenario.Sizes
		if hasSize {
			s, err := parseSize(size)
			if err != nil {
				return nil, err
			}
			sizes = []float64{s}
		}
		cells = append(cells, scenario.Matrix(rows, sizes)...)
	}
	return cells, nil
}

// maxSize bounds a site size off the table: an hour at 5,000 requests a
// second is 18 million lines.
const maxSize = 5000

// parseSize reads a site size: one of the table's, or any other up to
// maxSize requests a second (a site between or past the table's, which
// the table does not pin).
func parseSize(s string) (float64, error) {
	for _, size := range scenario.Sizes {
		if scenario.SizeLabel(size) == s {
			return size, nil
		}
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil && v > 0 && v <= maxSize {
		return v, nil
	}
	var known []string
	for _, size := range scenario.Sizes {
		known = append(known, scenario.SizeLabel(size))
	}
	return 0, fmt.Errorf("no site size %q (the table's: %s; or any other above 0 and up to %d requests a second)", s, strings.Join(known, ", "), maxSize)
}

// writeCellLog writes the log of one cell, for `sentinel explain`, and
// its ground truth to stderr.
func writeCellLog(f matrixFlags, mode scenario.Mode, stdout, stderr io.Writer) int {
	name, size, ok := strings.Cut(f.log, "@")
	if !ok {
		fmt.Fprintf(stderr, "samplegen: -log wants ROW@SIZE, not %q\n", f.log)
		return 2
	}
	r, err := scenario.Find(mode.Rows(), name)
	if err == nil {
		_, err = parseSize(size)
	}
	if err != nil {
		fmt.Fprintf(stderr, "samplegen: %v\n", err)
		return 2
	}
	s, _ := parseSize(size)
	sc := scenario.Build(r, s, mode)
	w := stdout
	if f.out != "" && f.out != "-" {
		file, err := os.Create(f.out)
		if err != nil {
			fmt.Fprintf(stderr, "samplegen: error: %v\n", err)
			return 1
		}
		defer file.Close()
		w = file
	}
	truth, fig, err := sc.Generate(w)
	if err != nil {
		fmt.Fprintf(stderr, "samplegen: error: %v\n", err)
		return 1
	}
	fmt.Fprintf(stderr, "%s (%s): %s to %s, %d lines, format %s\n", sc.Name(), mode, sc.From.Format(time.RFC3339), sc.To.Format(time.RFC3339), fig.Requests, r.Format)
	if truth.Attack != "" {
		fmt.Fprintf(stderr, "attack %s from %s to %s", truth.Attack, truth.Start.Format(time.RFC3339), truth.End.Format(time.RFC3339))
		if truth.Offender != "" {
			fmt.Fprintf(stderr, ", offender %s %s", truth.OffenderKind, truth.Offender)
		}
		fmt.Fprintln(stderr)
	}
	if !truth.Deploy[0].IsZero() {
		fmt.Fprintf(stderr, "deploy from %s to %s\n", truth.Deploy[0].Format(time.RFC3339), truth.Deploy[1].Format(time.RFC3339))
	}
	return 0
}
