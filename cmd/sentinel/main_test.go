package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	// Tests run this binary as sentinel many times; built with -race, each
	// run would otherwise sleep 1 s at exit (GORACE's atexit_sleep_ms).
	if _, ok := os.LookupEnv("GORACE"); !ok {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
	testscript.Main(cleanupM{m}, map[string]func(){
		"sentinel": func() {
			installTap()
			os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
		},
	})
}

// cleanupM runs the tests and benchmarks, then removes the files the
// benchmarks generated (the 5M-line log is a gigabyte).
type cleanupM struct{ m *testing.M }

func (c cleanupM) Run() int {
	defer benchLogs.Remove()
	return c.m.Run()
}

// TestScripts checks the CLI contracts the README states (exit codes, JSON on
// stdout, text on stderr) with the scripts in testdata/script. $SAMPLES
// is the repository's samples directory.
func TestScripts(t *testing.T) {
	samples, err := filepath.Abs("../../samples")
	if err != nil {
		t.Fatal(err)
	}
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			env.Setenv("SAMPLES", samples)
			return nil
		},
	})
}
