package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/state"
)

// sentinelExe returns a path that runs this test binary as the sentinel
// command (TestMain dispatches on the program's name).
func sentinelExe(tb testing.TB) string {
	tb.Helper()
	self, err := os.Executable()
	if err != nil {
		tb.Fatal(err)
	}
	p := filepath.Join(tb.TempDir(), "sentinel")
	if err := os.Symlink(self, p); err != nil {
		tb.Fatal(err)
	}
	return p
}

// TestRun_kill9: sentinel is killed with SIGKILL in the middle of a
// sign-up flood and started again: no line is missed or counted twice
// (the engine's count in the saved state equals the lines written), and
// the flood's alert is written once.
func TestRun_kill9(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon for a few seconds")
	}
	exe := sentinelExe(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	stateDir := filepath.Join(dir, "state")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	write := func(ip, method, path string, status int) {
		n++
		ts := time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700")
		fmt.Fprintf(f, "%s - - [%s] \"%s %s?n=%d HTTP/1.1\" %d 100 \"-\" \"Mozilla/5.0\"\n", ip, ts, method, path, n, status)
	}
	flood := func(d time.Duration) {
		start := time.Now()
		for i := 0; time.Since(start) < d; i++ {
			write(fmt.Sprintf("198.51.%d.%d", i/250%250, i%250), "POST", "/users/register", 302)
			if i%12 == 0 {
				time.Sleep(50 * time.Millisecond) // about 240 a second
			}
		}
	}
	var logs bytes.Buffer // the daemons' own logs, shown on failure
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("daemon logs:\n%s", logs.String())
		}
	})
	daemon := func() (*exec.Cmd, *bytes.Buffer) {
		var out bytes.Buffer
		cmd := exec.Command(exe, "run", "--state-dir", stateDir, "--listen", "", "--from-start", "--output", "json", "--log-format", "json", logPath)
		cmd.Stdout, cmd.Stderr = &out, &logs
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd, &out
	}

	first, out1 := daemon()
	for range 20 {
		write("10.0.0.1", "GET", "/", 200)
		time.Sleep(50 * time.Millisecond)
	}
	flood(2 * time.Second) // the alert fires about a second in
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	first.Wait()
	flood(time.Second) // written while sentinel is down

	second, out2 := daemon()
	flood(time.Second)
	time.Sleep(2 * time.Second) // let it read everything
	if err := second.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := second.Wait(); err != nil {
		t.Errorf("graceful stop: %v", err)
	}

	st, err := state.Load(stateDir)
	if err != nil || st == nil || st.Engine == nil {
		t.Fatalf("state after the stop: %v, %v", st, err)
	}
	if st.Engine.Events != uint64(n) {
		t.Errorf("the engine counted %d events, %d lines were written", st.Engine.Events, n)
	}
	fired := 0
	for _, out := range []*bytes.Buffer{out1, out2} {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var a struct{ Rule, State string }
			if err := json.Unmarshal(sc.Bytes(), &a); err != nil {
				t.Errorf("output line %q: %v", sc.Text(), err)
				continue
			}
			if a.Rule == "signup-burst" && a.State == "firing" {
				fired++
			}
		}
	}
	if fired != 1 {
		t.Errorf("signup-burst fired %d times (first run %q, second %q), want once", fired, strings.TrimSpace(out1.String())[:min(200, out1.Len())], out2.String())
	}
}
