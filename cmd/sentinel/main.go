// Command sentinel watches web access logs for abuse and breakage, and
// replays old logs through the same rules. See README.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sentinel-dev/sentinel/config"
)

func main() { os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }

// Exit codes, which scripts rely on (README, "Commands"): 0 success, 1 a
// runtime failure, 2 bad usage or an invalid config.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// usageError marks bad usage: a wrong flag, argument or command.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// hintError carries hint lines shown after the error.
type hintError struct {
	err   error
	hints []string
}

func (e hintError) Error() string { return e.err.Error() }
func (e hintError) Unwrap() error { return e.err }

// run executes the command line and maps its outcome to an exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRoot(stdin, stdout, stderr)
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	code := exitFailure
	var cerrs config.Errors
	var uerr usageError
	switch {
	case errors.As(err, &cerrs):
		for _, e := range cerrs {
			fmt.Fprintf(stderr, "sentinel: error: %s\n", e)
		}
		n := strconv.Itoa(len(cerrs))
		if len(cerrs) > config.MaxErrors {
			n = fmt.Sprintf("more than %d", config.MaxErrors)
		}
		fmt.Fprintf(stderr, "sentinel: hint: %s problem(s) in the config; nothing was run\n", n)
		return exitUsage
	case errors.As(err, &uerr):
		code = exitUsage
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(stderr, "sentinel: error: %s\n", line)
	}
	var h hintError
	if errors.As(err, &h) {
		for _, l := range h.hints {
			fmt.Fprintf(stderr, "sentinel: hint: %s\n", l)
		}
	}
	if code == exitUsage {
		fmt.Fprintln(stderr, "sentinel: hint: see 'sentinel --help'")
	}
	return code
}
