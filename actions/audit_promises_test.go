package actions

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// TestAudit_execOutputCapped: docs/actions.md, "its first 4 KiB of
// output go to the log and the audit" (and a chatty program cannot fill
// the memory): 200 lines of 51 bytes must come back as at most 4 KiB.
func TestAudit_execOutputCapped(t *testing.T) {
	e, err := NewExec(ExecOptions{Command: []string{script(t, `i=0; while [ $i -lt 200 ]; do echo 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn'; i=$((i+1)); done`)}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Do(context.Background(), Call{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Output) > 4<<10 || !strings.HasPrefix(res.Output, "abcdefghij") {
		t.Errorf("output is %d bytes, want at most the first 4096", len(res.Output))
	}
	// The same through io.Copy, as os/exec feeds it: the buffer must not
	// grow past the cap.
	var b limitedBuffer
	if _, err := io.Copy(&b, strings.NewReader(strings.Repeat("x", 1<<20))); err != nil {
		t.Fatal(err)
	}
	if n := len(b.String()); n != 4<<10 {
		t.Errorf("io.Copy of 1 MiB kept %d bytes, want 4096", n)
	}
}

// TestAudit_execEnvironment: "It runs with PATH and the SENTINEL_*
// variables only, none of sentinel's own secrets."
func TestAudit_execEnvironment(t *testing.T) {
	if _, err := os.Stat("/proc/self/environ"); err != nil {
		t.Skip("no /proc")
	}
	t.Setenv("FLAGS_TOKEN", "tok-SECRET")
	t.Setenv("HOME", "/home/someone")
	e, err := NewExec(ExecOptions{Command: []string{script(t, `tr '\0' '\n' < /proc/$$/environ`)}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Do(context.Background(), Call{Action: "a", Phase: Revert, Key: "a:r:1:revert", Alert: fire("r", t0)})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, kv := range strings.Split(res.Output, "\n") {
		name, _, _ := strings.Cut(kv, "=")
		seen[name] = true
		if name != "PATH" && !strings.HasPrefix(name, "SENTINEL_") {
			t.Errorf("the program's environment holds %q", kv)
		}
	}
	for _, name := range []string{"PATH", "SENTINEL_RULE", "SENTINEL_PHASE", "SENTINEL_KEYS", "SENTINEL_IDEMPOTENCY_KEY", "SENTINEL_ALERT_JSON"} {
		if !seen[name] {
			t.Errorf("the program's environment lacks %s (got %q)", name, res.Output)
		}
	}
}

// TestAudit_webhookRequest: the request as docs/actions.md describes it:
// POST unless a method is given, Idempotency-Key as given, and with a
// secret X-Sentinel-Timestamp and X-Sentinel-Signature:
// sha256=HEX(HMAC-SHA256(secret, timestamp + "." + body)); no body, no
// Content-Type.
func TestAudit_webhookRequest(t *testing.T) {
	type got struct {
		method, ctype, key, ts, sig, body string
	}
	var mu sync.Mutex
	var reqs []got
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		reqs = append(reqs, got{r.Method, r.Header.Get("Content-Type"), r.Header.Get("Idempotency-Key"),
			r.Header.Get("X-Sentinel-Timestamp"), r.Header.Get("X-Sentinel-Signature"), string(b)})
		mu.Unlock()
	}))
	defer srv.Close()
	now := time.Unix(1764206400, 0)
	w, err := NewWebhook(WebhookOptions{URL: srv.URL + "/flag", Body: `{"rule": {{json .Rule}}}`, Secret: "s3cret",
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Do(context.Background(), Call{Key: "signups-off:r:1:apply", Alert: fire("r", t0)}); err != nil {
		t.Fatal(err)
	}
	bare, _ := NewWebhook(WebhookOptions{Method: "delete", URL: srv.URL + "/flag"})
	if _, err := bare.Do(context.Background(), Call{Key: "k2"}); err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, []byte("s3cret"))
	mac.Write([]byte(`1764206400.{"rule": "r"}`))
	want := []got{
		{"POST", "application/json", "signups-off:r:1:apply", "1764206400", "sha256=" + hex.EncodeToString(mac.Sum(nil)), `{"rule": "r"}`},
		{"DELETE", "", "k2", "", "", ""},
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want 2", len(reqs))
	}
	for i := range want {
		if reqs[i] != want[i] {
			t.Errorf("request %d = %+v\nwant        %+v", i, reqs[i], want[i])
		}
	}
}

// TestAudit_defaults: the defaults docs/actions.md and the README give.
func TestAudit_defaults(t *testing.T) {
	if DefaultRevertAfter != 10*time.Minute || DefaultCooldown != 5*time.Minute || DefaultMaxPerHour != 4 ||
		DefaultMaxPerDay != 12 || DefaultRetries != 3 || DefaultTimeout != 10*time.Second || DefaultAuditMaxBytes != 10<<20 {
		t.Error("a default differs from the docs (revert_after 10m, cooldown 5m, caps 4 and 12, retries 3, timeout 10s, audit 10 MB)")
	}
}

// TestAudit_capsZeroMeanNone: "max_per_hour: 2 # caps (defaults 4 and
// 12; 0: none)": with both caps and the cooldown 0, every episode applies.
func TestAudit_capsZeroMeanNone(t *testing.T) {
	m, got := newPlanner(flagAction(t, func(a *Action) { a.Cooldown, a.MaxPerHour, a.MaxPerDay, a.RevertAfter = 0, 0, 0, time.Minute }))
	var want []string
	for i := range 15 {
		start := time.Duration(i) * 3 * time.Minute
		m.Handle(fire("signup-burst", at(start)))
		m.Handle(resolve("signup-burst", at(start+time.Second)))
		m.Advance(at(start + 2*time.Minute))
		want = append(want, at(start).Format("15:04:05")+" apply planned signup-burst",
			at(start+time.Minute+time.Second).Format("15:04:05")+" revert planned signup-burst")
	}
	if diff := cmp.Diff(want, planned(*got)); diff != "" {
		t.Errorf("planned (-want +got):\n%s", diff)
	}
}

// TestAudit_restartLostActionOrRevert: docs/actions.md, "A restart whose
// config lost the action or its revert logs "undo it by hand" and
// forgets the remedy."
func TestAudit_restartLostActionOrRevert(t *testing.T) {
	m1, _ := newPlanner(flagAction(t, nil))
	m1.Handle(fire("signup-burst", at(0)))
	saved := m1.State()
	for name, acts := range map[string][]*Action{
		"action removed": nil,
		"revert removed": {flagAction(t, func(a *Action) { a.Undo = nil })},
	} {
		var log bytes.Buffer
		m := NewManager(Options{Actions: acts, Plan: func(Entry) {}, Logger: slog.New(slog.NewTextHandler(&log, nil))})
		m.Restore(saved)
		if !strings.Contains(log.String(), "undo it by hand") || len(m.Episodes()) != 0 {
			t.Errorf("%s: log %q, episodes %+v; want \"undo it by hand\" and the remedy forgotten", name, log.String(), m.Episodes())
		}
	}
}

// TestAudit_execOutputLogged: docs/actions.md, a program's "first 4 KiB
// of output go to the log and the audit" — so that nft's own complaint
// is in the log, not only "exit status 1".
func TestAudit_execOutputLogged(t *testing.T) {
	for _, tt := range []struct{ body, outcome string }{
		{"echo 'Error: No such file or directory' >&2; exit 1", "failed"},
		{"echo 'added 203.0.113.7'", "ok"},
	} {
		do, err := NewExec(ExecOptions{Command: []string{script(t, tt.body)}})
		if err != nil {
			t.Fatal(err)
		}
		var log testutil.SyncBuffer
		audit := NewAudit("")
		m := NewManager(Options{Actions: []*Action{{Name: "nft-block", Rules: []string{"signup-burst"}, Do: do, RevertAfter: time.Minute}},
			Audit: audit, Logger: slog.New(slog.NewTextHandler(&log, nil)), MinBackoff: time.Millisecond})
		runManager(t, m)
		m.Handle(fire("signup-burst", t0))
		waitFor(t, "the attempt audited", func() bool { return len(audit.Recent()) > 0 })
		want := strings.SplitN(tt.body, "'", 3)[1]
		if r := audit.Recent()[0]; string(r.Outcome) != tt.outcome || r.Output != want {
			t.Errorf("%s: audit = %+v, want output %q", tt.outcome, r, want)
		}
		if !strings.Contains(log.String(), want) {
			t.Errorf("%s: the log lacks the program's output %q:\n%s", tt.outcome, want, log.String())
		}
	}
}

// TestAudit_auditLine: docs/actions.md, "Every attempt — its time, the
// alert's log time, the phase, the outcome, the HTTP status, the start
// of the response, the error — is appended as a JSON line".
func TestAudit_auditLine(t *testing.T) {
	var mu sync.Mutex
	status := http.StatusBadRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(status)
		io.WriteString(w, "flag answer "+http.StatusText(status))
		status = http.StatusOK
	}))
	defer srv.Close()
	path := t.TempDir() + "/actions.jsonl"
	audit := NewAudit(path)
	defer audit.Close()
	do, err := NewWebhook(WebhookOptions{URL: srv.URL + "/f"})
	if err != nil {
		t.Fatal(err)
	}
	m := NewManager(Options{Actions: []*Action{{Name: "a", Rules: []string{"signup-burst"}, Do: do, RevertAfter: time.Minute}},
		Audit: audit, MinBackoff: time.Millisecond})
	runManager(t, m)
	m.Handle(fire("signup-burst", t0))
	waitFor(t, "the failure", func() bool { return len(m.Episodes()) == 0 })
	m.Handle(resolve("signup-burst", t0.Add(time.Second)))
	m.Handle(fire("signup-burst", t0.Add(time.Hour)))
	waitFor(t, "the second attempt", func() bool { return len(audit.Recent()) == 2 })
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 {
		t.Fatalf("audit file holds %d lines, want 2:\n%s", len(lines), b)
	}
	var got []Entry
	for _, l := range lines {
		var e Entry
		if err := json.Unmarshal([]byte(l), &e); err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	if e := got[0]; e.At.IsZero() || !e.EventTime.Equal(t0) || e.Phase != Apply || e.Outcome != "failed" || e.Status != 400 ||
		!strings.Contains(e.Error, "flag answer Bad Request") {
		t.Errorf("failed attempt audited as %+v", e)
	}
	if e := got[1]; !e.EventTime.Equal(t0.Add(time.Hour)) || e.Outcome != "ok" || e.Status != 200 || e.Output != "flag answer OK" {
		t.Errorf("ok attempt audited as %+v", e)
	}
}

// TestAudit_templateFields: the fields docs/actions.md lists reach a
// template: .Action, .Phase, .Key (the idempotency key), .Rule, .Time.
func TestAudit_templateFields(t *testing.T) {
	tpl, err := ParseTemplate("t", `{{.Action}} {{.Phase}} {{.Key}} {{.Rule}} {{.Time}} {{.Since}} {{json .Keys}} {{range .Top}}{{.Key}}={{.Count}}{{end}}`)
	if err != nil {
		t.Fatal(err)
	}
	a := fire("client-flood", t0)
	got, err := render(tpl, Call{Action: "block", Phase: Revert, Key: "block:client-flood:1:revert", Alert: a})
	want := "block revert block:client-flood:1:revert client-flood " + t0.Format(time.RFC3339) + " " + a.Since.UTC().Format(time.RFC3339) +
		` ["` + a.Keys[0].Key + `"] ` + a.Keys[0].Key + "=" + strconv.FormatUint(a.Keys[0].Count, 10)
	if err != nil || got != want {
		t.Errorf("render = %q, %v\nwant     %q", got, err, want)
	}
}

// TestAudit_refusedRevertLogged: docs/actions.md, "a 4xx on the revert
// is logged as "the remedy is still on, undo it by hand"".
func TestAudit_refusedRevertLogged(t *testing.T) {
	fs := testutil.NewFlagServer(t, "k", 0, 403)
	var log testutil.SyncBuffer
	m := NewManager(Options{Actions: []*Action{liveAction(t, fs.URL, nil)}, MinBackoff: time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(&log, nil))})
	runManager(t, m)
	m.Handle(fire("signup-burst", t0))
	waitEpisode(t, m, StatusOn)
	m.Handle(resolve("signup-burst", t0.Add(time.Minute)))
	m.Advance(t0.Add(20 * time.Minute))
	waitEpisode(t, m, StatusRevertFailed)
	if !strings.Contains(log.String(), "the remedy is still on, undo it by hand") || len(fs.Requests()) != 2 {
		t.Errorf("requests %d, log:\n%s\nwant the revert tried once and the log saying to undo it by hand", len(fs.Requests()), log.String())
	}
}
