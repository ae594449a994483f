package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"testing"

	"github.com/sentinel-dev/sentinel/daemon"
	"github.com/sentinel-dev/sentinel/tailer"
)

// tapEnv names the file to which a sentinel run by these tests (this
// binary, as sentinel) appends every line its daemon takes, with the
// file and position it came from, so that a test can count the lines
// of a real process one by one.
const tapEnv = "SENTINEL_TEST_TAP"

// installTap makes the daemon write its lines to $SENTINEL_TEST_TAP.
// Each line is written at once (no buffer), so that a SIGKILL loses
// none that the daemon took.
func installTap() {
	p := os.Getenv(tapEnv)
	if p == "" {
		return
	}
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tap:", err)
		os.Exit(1)
	}
	daemonHook = func(o *daemon.Options) {
		o.Tap = func(l tailer.Line) {
			fmt.Fprintf(f, "%d %d %d %s\n", l.Pos.Dev, l.Pos.Inode, l.Pos.Offset, l.Text)
		}
	}
}

// tapped is one line a daemon took, as its tap recorded it.
type tapped struct {
	dev, ino uint64
	off      int64 // the position after the line in its file
	text     string
}

// readTap reads the lines a tap recorded.
func readTap(tb testing.TB, p string) []tapped {
	tb.Helper()
	b, err := os.ReadFile(p)
	if err != nil && !os.IsNotExist(err) {
		tb.Fatal(err)
	}
	// A daemon still running may be mid-line: what follows the last
	// newline is not a line yet.
	b = b[:bytes.LastIndexByte(b, '\n')+1]
	var out []tapped
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f := bytes.SplitN(sc.Bytes(), []byte(" "), 4)
		if len(f) != 4 {
			tb.Fatalf("tap line %q", sc.Text())
		}
		dev, _ := strconv.ParseUint(string(f[0]), 10, 64)
		ino, _ := strconv.ParseUint(string(f[1]), 10, 64)
		off, _ := strconv.ParseInt(string(f[2]), 10, 64)
		out = append(out, tapped{dev: dev, ino: ino, off: off, text: string(f[3])})
	}
	return out
}
