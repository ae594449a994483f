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
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

func main() { os.Exit(run(os.Args[1:], os.Stderr)) }

// run parses args, writes the samples and prints their figures to stderr.
// It returns the exit code: 0, 1 on failure, 2 on bad usage.
func run(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("samplegen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "samples", "directory to write the samples and their README.md into")
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
