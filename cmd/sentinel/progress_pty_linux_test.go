package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// openPTY opens a pseudo-terminal: the master, to read what is written,
// and the slave, a terminal to write to.
func openPTY(tb testing.TB) (master, slave *os.File) {
	tb.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		tb.Skipf("no pseudo-terminal: %v", err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		m.Close()
		tb.Skipf("unlockpt: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		m.Close()
		tb.Skipf("ptsname: %v", e)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		tb.Skipf("open slave: %v", err)
	}
	return m, s
}

// TestReplay_progressOnTerminal: "on a terminal a replay of 4 MB or more
// shows a progress bar on stderr … cleared when done; never with
// `--output json`" (docs/replay.md), on a real pseudo-terminal.
func TestReplay_progressOnTerminal(t *testing.T) {
	// Redrawn every millisecond: the replay of 6 MB may take less than
	// progressEvery, and the bar is first drawn after one period (it
	// passed before only while an alert printed above the bar drew it).
	defer func(d time.Duration) { barEvery = d }(barEvery)
	barEvery = time.Millisecond
	p := bigSessionsLog(t)
	if fi, _ := os.Stat(p); fi.Size() < progressMinBytes {
		t.Fatalf("input of %d bytes, want at least %d", fi.Size(), progressMinBytes)
	}
	stderrOn := func(args ...string) string {
		master, slave := openPTY(t)
		defer master.Close()
		got := make(chan string)
		go func() {
			var b bytes.Buffer
			io.Copy(&b, master) // until the slave is closed (EIO)
			got <- b.String()
		}()
		var stdout bytes.Buffer
		if code := run(append([]string{"replay", "-q"}, args...), strings.NewReader(""), &stdout, slave); code != exitOK {
			t.Errorf("replay %v: exit %d", args, code)
		}
		slave.Close()
		select {
		case s := <-got:
			return s
		case <-time.After(10 * time.Second):
			t.Fatal("the terminal's output did not end")
			return ""
		}
	}
	if text := stderrOn(p); !strings.HasSuffix(text, "\r\x1b[K") {
		t.Errorf("text replay on a terminal: stderr %q, want a bar, cleared at the end", text)
	}
	if json := stderrOn("--output", "json", p); json != "" {
		t.Errorf("--output json on a terminal: stderr %q, want nothing", json)
	}
}
