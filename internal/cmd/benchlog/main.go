// Command benchlog writes a large synthetic nginx combined log to stdout,
// for benchmarks (docs/benchmarks.md): go run ./internal/cmd/benchlog -n 1000000 > /tmp/1m.log
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/sentinel-dev/sentinel/internal/benchlog"
)

func main() {
	n := flag.Int("n", 1_000_000, "lines")
	rate := flag.Int("rate", 500, "lines per second of log time")
	seed := flag.Uint64("seed", 1, "random seed")
	uniform := flag.Bool("uniform", false, "every line from a random client (the worst case for per-client counting) instead of browsing sessions")
	flood := flag.Bool("flood", false, "a sign-up flood with every line from a new address (memory tests)")
	attack := flag.Bool("attack", false, "sessions with a 240/s sign-up flood from 4,000 addresses in 15% of the lines (issue #12's speed test)")
	flag.Parse()
	mode := benchlog.Sessions
	switch {
	case *uniform:
		mode = benchlog.Uniform
	case *flood:
		mode = benchlog.Flood
	case *attack:
		mode = benchlog.Attack
	}
	if err := benchlog.Write(os.Stdout, *n, *rate, *seed, mode); err != nil {
		fmt.Fprintf(os.Stderr, "benchlog: %v\n", err)
		os.Exit(1)
	}
}
