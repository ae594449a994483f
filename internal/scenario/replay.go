package scenario

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// Alert is one alert transition as `sentinel replay --output json` prints
// it (the JSON output contract of docs/json.md, plus the severity).
type Alert struct {
	Rule      string    `json:"rule"`
	State     string    `json:"state"` // "firing" or "resolved"
	Time      time.Time `json:"time"`
	Value     float64   `json:"value"`
	Threshold float64   `json:"threshold"`
	Severity  string    `json:"severity"`
	// Escalated: the rule, firing, raised to critical (the same episode).
	Escalated bool `json:"escalated"`
	Keys      []struct {
		Key   string  `json:"key"`
		Count float64 `json:"count"`
	} `json:"keys"`
}

// Names reports whether one of the alert's keys is offender (for a
// network, the network itself or a wider one holding it).
func (a *Alert) Names(offender, kind string) bool {
	for _, k := range a.Keys {
		if matchOffender(k.Key, offender, kind) {
			return true
		}
	}
	return false
}

// Replayer runs scenarios through a sentinel binary: `sentinel replay
// --output json FILE` (or `-`, the log on its standard input), with the
// embedded default rules.
type Replayer struct {
	// Binary is the sentinel executable.
	Binary string
	// Args are extra arguments for replay (e.g. a config).
	Args []string
	// MaxFileLines is the largest log, in lines at the site's mean rate,
	// written to a file and replayed from it; a larger one is piped to
	// the replay as it is generated. 0 means maxFileLines; below 0, every
	// log is piped.
	MaxFileLines int
	// Procs is each replay's GOMAXPROCS; 0 leaves Go's default (every
	// core, so that a replay parses on a second one). Run, which keeps
	// every core busy with a replay each, sets 1 where it is 0 (see
	// oneCoreEach).
	Procs int
}

// oneCoreEach returns rp, or a copy of it with Procs 1 where parallel
// replays keep every core busy and rp leaves Procs to Go: a replay on
// two cores hands its batches from the parsing goroutine to the engine's,
// which costs CPU that only pays where a core is idle. The pinned matrix
// at two replays on two cores: 143 s of CPU with two each, 110 s with
// one (the same alerts: a replay's output is the same on one core or
// two, cmd/sentinel's TestReplay_twoCores). Parity leaves its replays
// two cores: it is what runs the JSON and logfmt formats through the
// staged replay's copies.
func oneCoreEach(rp *Replayer, parallel int) *Replayer {
	if rp.Procs != 0 || parallel < runtime.NumCPU() {
		return rp
	}
	one := *rp
	one.Procs = 1
	return &one
}

// Result is what replaying one scenario gave.
type Result struct {
	Scenario *Scenario
	Truth    Truth
	Figures  *Figures
	Alerts   []Alert
	Stderr   string // what replay said to people (its summary, hints), trimmed
	Wall     time.Duration
	// ReplayCPU is the CPU time the replay process used.
	ReplayCPU time.Duration

	input string // the file replayed, as replay names it ("-": standard input)
}

// Summary returns replay's summary line for its input, without the
// file's name ("20,424 lines, 20,424 parsed, 0 skipped (…), 0 ignored;
// format combined (detected)"), or "" when it printed none.
func (r *Result) Summary() string {
	for _, l := range strings.Split(r.Stderr, "\n") {
		if l, ok := strings.CutPrefix(strings.TrimSpace(l), r.input+": "); ok && strings.Contains(l, "; format ") {
			return l
		}
	}
	return ""
}

// maxStderr bounds the replay's stderr kept in a Result.
const maxStderr = 16 << 10

// maxFileLines is the largest log, in lines at the site's mean rate,
// that Run writes to a file by default (about 750 MB); a larger one (the whole days
// of the busiest sites, 26 million lines) is piped to the replay as it is
// generated.
const maxFileLines = 3_000_000

// Run generates sc into a sentinel replay and collects its alerts. A log
// of up to maxFileLines is written to a file in the system's temporary
// directory first, replayed from it, and removed: replayed from a pipe as
// it was generated, the two processes took half as much CPU again, and
// the pinned matrix (25 million lines, two cells at once on two cores)
// 55 s instead of 40.
func (rp *Replayer) Run(ctx context.Context, sc *Scenario) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	start := time.Now()
	res := &Result{Scenario: sc}
	args := append([]string{"replay", "--output", "json", "--progress", "never"}, rp.Args...)
	if sc.Row.Format == FormatFly {
		// A Phoenix log's lines carry no date: replay asks for one (a
		// file's modification time is today's, standard input has none),
		// even for Fly.io's, whose stamps carry it.
		args = append(args, "--date", sc.From.Format(time.DateOnly))
	}
	var genErr chan error // with a pipe: the generator's error
	limit := float64(rp.MaxFileLines)
	if rp.MaxFileLines == 0 {
		limit = maxFileLines
	}
	if sc.Profile.Size*sc.To.Sub(sc.From).Seconds() <= limit {
		f, err := os.CreateTemp("", "sentinel-scenario-*.log")
		if err != nil {
			return nil, err
		}
		defer os.Remove(f.Name())
		res.Truth, res.Figures, err = sc.Generate(f)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return nil, fmt.Errorf("generate %s: %w", sc.Name(), err)
		}
		res.input = f.Name()
	} else {
		res.input = "-"
	}
	cmd := exec.CommandContext(ctx, rp.Binary, append(args, res.input)...)
	if rp.Procs > 0 {
		cmd.Env = append(os.Environ(), fmt.Sprintf("GOMAXPROCS=%d", rp.Procs))
	}
	var stdin io.WriteCloser
	if res.input == "-" {
		var err error
		if stdin, err = cmd.StdinPipe(); err != nil {
			return nil, err
		}
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	var stderr tailBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", rp.Binary, err)
	}
	if stdin != nil {
		genErr = make(chan error, 1)
		go func() {
			var err error
			res.Truth, res.Figures, err = sc.Generate(stdin)
			if cerr := stdin.Close(); err == nil {
				err = cerr
			}
			genErr <- err
		}()
	}
	sc2 := bufio.NewScanner(stdout)
	sc2.Buffer(make([]byte, 1<<16), 1<<24)
	var decodeErr error
	for sc2.Scan() {
		var a Alert
		if err := json.Unmarshal(sc2.Bytes(), &a); err != nil {
			if decodeErr == nil {
				decodeErr = fmt.Errorf("replay %s: stdout: %w: %q", sc.Name(), err, truncate(sc2.Text(), 200))
			}
			continue
		}
		res.Alerts = append(res.Alerts, a)
	}
	if err := sc2.Err(); err != nil && decodeErr == nil {
		decodeErr = err
	}
	_, _ = io.Copy(io.Discard, stdout)
	var gerr error
	if genErr != nil {
		gerr = <-genErr
	}
	werr := cmd.Wait()
	res.Stderr = stderr.String()
	res.Wall = time.Since(start)
	if ps := cmd.ProcessState; ps != nil {
		res.ReplayCPU = ps.UserTime() + ps.SystemTime()
	}
	switch {
	case werr != nil:
		return res, fmt.Errorf("replay %s: %w: %s", sc.Name(), werr, truncate(res.Stderr, 2000))
	case gerr != nil && !errors.Is(gerr, io.ErrClosedPipe):
		return res, fmt.Errorf("generate %s: %w", sc.Name(), gerr)
	}
	return res, decodeErr
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// tailBuffer keeps the first and last bytes written to it, up to
// maxStderr in all.
type tailBuffer struct {
	head, tail bytes.Buffer
	cut        bool
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if t.head.Len() < maxStderr/2 {
		k := min(len(p), maxStderr/2-t.head.Len())
		t.head.Write(p[:k])
		p = p[k:]
	}
	if len(p) > 0 {
		t.tail.Write(p)
		if t.tail.Len() > maxStderr {
			b := t.tail.Bytes()[t.tail.Len()-maxStderr/2:]
			t.tail.Reset()
			t.tail.Write(b)
			t.cut = true
		}
	}
	return n, nil
}

func (t *tailBuffer) String() string {
	if t.cut {
		return strings.TrimSpace(t.head.String() + "\n…\n" + t.tail.String())
	}
	return strings.TrimSpace(t.head.String() + t.tail.String())
}
