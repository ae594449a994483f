// Command samplegen writes the sample logs in samples/: a quiet day on a
// small Phoenix site, the founding sign-up flood (as nginx and as Phoenix
// log it), credential stuffing, a 5xx storm, a slow benign ramp and a
// scraper among thousands of clients, plus samples/README.md, which
// describes them with figures computed from the generated requests.
//
// The output is a pure function of the code: every scenario draws from
// its own fixed PCG seed, and nothing reads the clock or iterates a map
// into the output. main_test.go regenerates the files and compares them
// with the committed ones.
//
// Usage, from the repository root:
//
//	go run ./internal/cmd/samplegen [-out samples]
//
// With -matrix it runs the scenario matrix of internal/scenario instead:
// sites of 0.2 to 300 requests a second, ordinary days and attacks, each
// generated into `sentinel replay --output json` with the embedded rules
// and judged against its ground truth. It prints the results table, or
// compares it with (-docs) or writes it into (-docs -update) the
// generated section of docs/rules.md:
//
//	go run ./internal/cmd/samplegen -matrix pinned                       # what go test pins
//	go run ./internal/cmd/samplegen -matrix full -docs docs/rules.md     # scripts/scenario-check
//	go run ./internal/cmd/samplegen -matrix full -cells signup-drip@300,benign@50
//	go run ./internal/cmd/samplegen -matrix pinned -log benign@50 -o /tmp/b.log
//	go run ./internal/cmd/samplegen -matrix sweep -docs docs/rules.md    # the weaker attacks
//	sentinel explain /tmp/b.log
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/sentinel-dev/sentinel/internal/scenario"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

// run parses args, writes the samples and prints their figures to stderr.
// It returns the exit code: 0, 1 on failure, 2 on bad usage.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("samplegen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "samples", "directory to write the samples and their README.md into")
	var mf matrixFlags
	fs.StringVar(&mf.mode, "matrix", "", "run the scenario matrix instead: pinned (what go test pins), full (whole days, every cell), sweep (weaker attacks, docs/rules.md) or parity (a few pinned cells in every JSON and logfmt format, their alerts compared with combined's; .ci/run)")
	fs.StringVar(&mf.sentinel, "sentinel", "", "with -matrix: the sentinel binary to replay with (default: built from ./cmd/sentinel)")
	fs.StringVar(&mf.docs, "docs", "", "with -matrix: compare the table with this file's generated section (docs/rules.md)")
	fs.BoolVar(&mf.update, "update", false, "with -matrix -docs: rewrite the section instead of comparing")
	fs.StringVar(&mf.cells, "cells", "", "with -matrix: only these cells, e.g. signup-drip@300,benign (a row alone: every size; @50: every row; a size off the table, e.g. @1000, runs too)")
	fs.StringVar(&mf.log, "log", "", "with -matrix: write the log of one cell (ROW@SIZE) instead, for sentinel explain")
	fs.StringVar(&mf.out, "o", "", "with -log: the file to write (default standard output)")
	fs.IntVar(&mf.parallel, "parallel", runtime.NumCPU(), "with -matrix: cells replayed at once")
	fs.Uint64Var(&scenario.Reseed, "seed", 0, "with -matrix: draw every cell's traffic from another seed (0: the pinned draws; the table then differs from docs/rules.md by chance alone)")
	fs.BoolVar(&scenario.DrainAppLines, "drain-app-lines", scenario.DrainAppLines, "with -matrix: Heroku drains carry the app's lograge and Sidekiq lines too (see internal/scenario/heroku.go)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "samplegen: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if mf.mode != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		defer stop()
		return runMatrix(ctx, mf, os.Stdout, stderr)
	}
	if err := generate(*out, stderr); err != nil {
		fmt.Fprintf(stderr, "samplegen: error: %v\n", err)
		return 1
	}
	return 0
}

// generate writes every scenario's files and README.md into dir, and the
// figures to summary.
func generate(dir string, summary io.Writer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var readme strings.Builder
	readme.WriteString(readmeHead)
	for _, sc := range scenarios {
		res := sc()
		for _, s := range res.samples {
			if err := os.WriteFile(filepath.Join(dir, s.name), s.data, 0o644); err != nil {
				return err
			}
		}
		readme.WriteString("\n" + res.section)
		fmt.Fprintf(summary, "%s\n", res.section)
	}
	readme.WriteString(readmeTail)
	return os.WriteFile(filepath.Join(dir, "README.md"), []byte(readme.String()), 0o644)
}

const readmeHead = `# Sample logs

Small, realistic logs of one site, for docs, tests and ` + "`sentinel replay`" + `.
They are synthetic: ` + "`internal/cmd/samplegen`" + ` writes them (and this README)
deterministically, from fixed seeds. Do not edit them by hand; change the
generator and run

    go run ./internal/cmd/samplegen

from the repository root (` + "`-out DIR`" + ` writes elsewhere). ` + "`go test ./internal/cmd/samplegen`" + `
fails when the files here differ from what the generator writes. The
figures below are computed from the generated requests; the generator
prints them to stderr too.

The site is a small Phoenix SaaS (invoicing for freelancers,
` + "`www.example.com`" + `) built with ` + "`mix phx.gen.auth --no-live`" + `, so sign-up is
` + "`POST /users/register`" + ` and log-in ` + "`POST /users/log_in`" + `. A successful form post
is a 302 to ` + "`/dashboard`" + ` (76 bytes, Phoenix's redirect page); a failed one
re-renders the form with status 200. Pages and their digested assets
(` + "`/assets/app-….css`" + `, fonts, images) are served by the app; a browser with a
cold cache fetches 5–15 assets within about a second of a page, later pages
only their images. Unknown paths get Phoenix's 9-byte "Not Found", crashes a
500. All times are UTC (nginx lines end in ` + "`+0000`" + `). Client addresses are
random public IPv4 addresses; the brute-forcer uses 198.51.100.23 and the
scraper 203.0.113.50, documentation addresses. Googlebot and bingbot use addresses from their
published ranges.

` + "`sentinel.yaml`" + ` beside them is a commented example config (written by hand,
not by the generator): ` + "`sentinel check -c samples/sentinel.yaml`" + `. What each log
raises with the embedded default rules is pinned in
` + "`cmd/sentinel/testdata/golden/`" + `; replay one with

    go run ./cmd/sentinel replay samples/signup-flood.log
    go run ./cmd/sentinel replay --date 2026-11-27 samples/signup-flood-phoenix.log

(the Phoenix log carries only the time of day; without ` + "`--date`" + ` the day comes
from the file's modification time).

Senders, as the figures count them: ` + "`visitor`" + ` (people), ` + "`crawler`" + `
(Googlebot, bingbot), ` + "`poller`" + ` (feed readers, an uptime monitor), ` + "`scanner`" + `,
and the attackers ` + "`signup-bot`" + `, ` + "`stuffing-bot`" + `, ` + "`brute-force`" + ` and
` + "`scraper`" + `.
`

const readmeTail = `
## Regenerating

    go run ./internal/cmd/samplegen          # writes samples/*.log and samples/README.md
    go test ./internal/cmd/samplegen         # checks the committed files are reproducible

Each scenario is a function in ` + "`internal/cmd/samplegen/scenarios.go`" + ` with its
own seed; the actors it combines (visitors with asset bursts, readers,
crawlers, pollers, scanners, form floods, a brute-forcer, a scraper) live
in ` + "`actors.go`" + `, ` + "`bots.go`" + ` and ` + "`scenarios.go`" + `. Keep each file under about 3 MB.
`
