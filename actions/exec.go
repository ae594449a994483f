package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// ExitTempFail is the exit status (EX_TEMPFAIL from sysexits.h) by which
// a program asks for a retry; any other non-zero status is permanent.
const ExitTempFail = 75

// maxOutputBytes is how much of a program's output is kept for the log.
const maxOutputBytes = 4 << 10

// ExecOptions configure an [Exec].
type ExecOptions struct {
	// Command is the program and its arguments; each argument is a
	// template over the alert. No shell runs it: quotes, pipes and $VARS
	// mean nothing.
	Command []string
	// Shown is the command as written in the config, before ${ENV}
	// expansion, for String: an argument may hold a secret. Nil shows
	// Command.
	Shown []string
	// Timeout bounds one run (the program is killed after it); 0 means
	// [DefaultTimeout].
	Timeout time.Duration
}

// Exec is a [Step] that runs a program, without a shell, in an
// environment holding only PATH and the alert's fields:
//
//	SENTINEL_ACTION, SENTINEL_PHASE (apply or revert), SENTINEL_RULE,
//	SENTINEL_STATE, SENTINEL_SEVERITY, SENTINEL_TIME, SENTINEL_SINCE
//	(RFC 3339), SENTINEL_VALUE, SENTINEL_THRESHOLD, SENTINEL_UNIT,
//	SENTINEL_KEYS (the top offenders, one per line),
//	SENTINEL_IDEMPOTENCY_KEY, SENTINEL_ALERT_JSON (the whole alert)
//
// Exit status 0 is success; [ExitTempFail] (75) and a timeout are retried
// by the [Manager]; any other status is permanent. The first 4 KiB of
// its output (stdout and stderr together) go to the log and the audit.
type Exec struct {
	path    string
	args    []*template.Template
	shown   string
	timeout time.Duration
}

var _ Step = (*Exec)(nil)

// NewExec checks opts and returns an Exec. The program must be an
// absolute path or found in PATH now, so a typo fails at startup.
func NewExec(opts ExecOptions) (*Exec, error) {
	if len(opts.Command) == 0 || opts.Command[0] == "" {
		return nil, optionError("command", errors.New("command: missing: give the program and its arguments as a list"))
	}
	path := opts.Command[0]
	if !filepath.IsAbs(path) {
		p, err := exec.LookPath(path)
		if err != nil {
			return nil, optionError("command", fmt.Errorf("command: %q not found in PATH", alert.Sanitize(path, 100)))
		}
		path = p
	}
	shown := opts.Shown
	if shown == nil {
		shown = opts.Command
	}
	e := &Exec{path: path, timeout: opts.Timeout, shown: strings.Join(shown, " ")}
	if e.timeout <= 0 {
		e.timeout = DefaultTimeout
	}
	for i, a := range opts.Command[1:] {
		t, err := ParseTemplate("command["+strconv.Itoa(i+1)+"]", a)
		if err != nil {
			return nil, optionError("command", fmt.Errorf("command: %w", err))
		}
		if err := CheckTemplate(t); err != nil {
			return nil, optionError("command", fmt.Errorf("command: %w", err))
		}
		e.args = append(e.args, t)
	}
	return e, nil
}

// String is the command line as configured.
func (e *Exec) String() string { return "exec " + alert.Sanitize(e.shown, 300) }

// Do runs the program for c.
func (e *Exec) Do(ctx context.Context, c Call) (Result, error) {
	args, err := e.argv(c)
	if err != nil {
		return Result{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, e.path, args...)
	cmd.Env = execEnv(c)
	killGroup(cmd)              // a timeout kills what the program started too
	cmd.WaitDelay = time.Second // a child holding the pipes open must not hang us
	var out limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	res := Result{Output: sanitizeOutput(out.String())}
	op := "exec " + filepath.Base(e.path)
	switch {
	case err == nil:
		return res, nil
	case errors.Is(err, exec.ErrWaitDelay) && cmd.ProcessState != nil && cmd.ProcessState.Success():
		return res, nil // it succeeded; a child it left behind kept the output open
	case ctx.Err() != nil:
		return res, fmt.Errorf("%s: killed after %s: %w", op, e.timeout, ctx.Err())
	}
	if ee, ok := errors.AsType[*exec.ExitError](err); ok && ee.Exited() {
		if ee.ExitCode() == ExitTempFail {
			return res, fmt.Errorf("%s: exit status %d (temporary failure)", op, ExitTempFail)
		}
		return res, delivery.Permanent(fmt.Errorf("%s: %w", op, err))
	}
	return res, delivery.Permanent(fmt.Errorf("%s: %w", op, err))
}

// argv renders the program's arguments for c. A key of the alert reaches
// them only reduced to its field's alphabet (see reduceKeys).
func (e *Exec) argv(c Call) ([]string, error) {
	args := make([]string, len(e.args))
	for i, t := range e.args {
		s, err := render(t, c)
		if err != nil {
			return nil, err
		}
		args[i] = s
	}
	return args, nil
}

// execEnv is the program's environment: PATH and the alert's fields, its
// keys reduced to their field's alphabet as in the templates.
func execEnv(c Call) []string {
	a := c.Alert
	a.Keys = reduceKeys(a)
	keys := make([]string, len(a.Keys))
	for i, k := range a.Keys {
		keys[i] = k.Key
	}
	js, _ := json.Marshal(a)
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	env := []string{
		"SENTINEL_ACTION=" + c.Action,
		"SENTINEL_PHASE=" + string(c.Phase),
		"SENTINEL_RULE=" + a.Rule,
		"SENTINEL_STATE=" + string(a.State),
		"SENTINEL_SEVERITY=" + string(a.Severity),
		"SENTINEL_TIME=" + a.Time.UTC().Format(time.RFC3339),
		"SENTINEL_SINCE=" + a.Since.UTC().Format(time.RFC3339),
		"SENTINEL_VALUE=" + f(a.Value),
		"SENTINEL_THRESHOLD=" + f(a.Threshold),
		"SENTINEL_UNIT=" + string(a.Unit),
		"SENTINEL_KEYS=" + strings.Join(keys, "\n"),
		"SENTINEL_IDEMPOTENCY_KEY=" + c.Key,
		"SENTINEL_ALERT_JSON=" + string(js),
	}
	if p, ok := os.LookupEnv("PATH"); ok {
		env = append(env, "PATH="+p)
	}
	// An environment entry cannot hold a NUL: drop any the log put there.
	for i, kv := range env {
		env[i] = strings.ReplaceAll(kv, "\x00", "")
	}
	return env
}

// sanitizeOutput makes a program's output safe to log, keeping its
// lines: each is sanitised on its own.
func sanitizeOutput(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i, l := range lines {
		lines[i] = alert.Sanitize(strings.TrimSuffix(l, "\r"), maxOutputBytes)
	}
	return strings.Join(lines, "\n")
}

// limitedBuffer keeps the first maxOutputBytes written to it and
// discards the rest, so a chatty program cannot fill the memory. The
// buffer is a field, not embedded: an embedded bytes.Buffer's ReadFrom,
// which io.Copy (and so os/exec) prefers to Write, would take it all.
type limitedBuffer struct{ buf bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxOutputBytes - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *limitedBuffer) String() string { return b.buf.String() }
