package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// soakEnv enables the long tests (.ci/run sets it): they write hundreds
// of megabytes and run the daemon for tens of seconds.
const soakEnv = "SENTINEL_SOAK"

func soak(tb testing.TB) {
	if os.Getenv(soakEnv) == "" {
		tb.Skipf("a soak: set %s=1 (.ci/run does)", soakEnv)
	}
}

// TestRun_memoryLongLines: `sentinel run` follows a file that receives a
// 300 MB line (written a megabyte at a time, the newline last), then
// 200 MB of NUL bytes (what a power loss leaves) and then ordinary
// lines. Its peak RSS, read from /proc, stays under 64 MiB; the ordinary
// lines are all processed and the long line is counted as too long.
func TestRun_memoryLongLines(t *testing.T) {
	soak(t)
	exe := sentinelExe(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	tap := filepath.Join(dir, "tap")
	w := newNumberedLog(t, logPath)
	addr := freeAddr(t)
	cmd, _ := startRun(t, exe, append(os.Environ(), tapEnv+"="+tap), "--state-dir", filepath.Join(dir, "state"), "--listen", addr, logPath)
	metric := func(name string) float64 {
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			return -1
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sum := -1.0
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), name); ok && rest != "" && strings.ContainsRune(" {,}", rune(rest[0])) {
				f := strings.Fields(sc.Text())
				v, _ := strconv.ParseFloat(f[len(f)-1], 64)
				sum = max(sum, 0) + v
			}
		}
		return sum
	}
	for deadline := time.Now().Add(10 * time.Second); metric("sentinel_build_info") < 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the daemon's API never answered")
		}
	}
	w.write(100) // ordinary lines first: the format is detected on them

	chunk := bytes.Repeat([]byte("A"), 1<<20)
	for range 300 {
		if _, err := w.f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	w.f.Write([]byte("\n"))
	clear(chunk)
	for range 200 {
		if _, err := w.f.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	w.write(1000)

	deadline := time.Now().Add(60 * time.Second)
	for {
		var ns []int
		for _, e := range readTap(t, tap) {
			if n, ok := lineNumber(e.text); ok {
				ns = append(ns, n)
			}
		}
		if len(ns) > 0 && ns[len(ns)-1] == w.n {
			if len(ns) != w.n {
				t.Errorf("%d ordinary lines processed, %d written", len(ns), w.n)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s, %d of %d ordinary lines processed", len(ns), w.n)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for deadline := time.Now().Add(5 * time.Second); metric(`sentinel_lines_skipped_total{reason="too_long"`) < 1; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("sentinel_lines_skipped_total{reason=\"too_long\"} = %v, want the long line counted", metric(`sentinel_lines_skipped_total{reason="too_long"`))
			break
		}
	}
	peak := procStatusKB(t, cmd.Process.Pid, "VmHWM")
	t.Logf("peak RSS of sentinel run: %.1f MiB", float64(peak)/1024)
	if peak > 64<<10 {
		t.Errorf("peak RSS %.1f MiB, want under 64 MiB", float64(peak)/1024)
	}
}

// procStatusKB reads a "kB" field of /proc/PID/status.
func procStatusKB(tb testing.TB, pid int, field string) int64 {
	tb.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				tb.Fatal(err)
			}
			return kb
		}
	}
	tb.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}
