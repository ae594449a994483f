package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/internal/delivery"
	"github.com/sentinel-dev/sentinel/internal/testutil"
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
	t.Parallel() // waits on the wall clock: overlapped with the others that do
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

// TestRun_sighup: SIGHUP with a changed threshold takes effect at once
// (seen in sentinel status); a broken config on SIGHUP is rejected and
// logged, and the daemon keeps running the last good one.
func TestRun_sighup(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon")
	}
	exe := sentinelExe(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	cfgPath := filepath.Join(dir, "sentinel.yaml")
	os.WriteFile(logPath, nil, 0o644)
	writeCfg := func(threshold string) {
		text := fmt.Sprintf("sources:\n  - path: %s\n    format: combined\nrules:\n  - name: posts\n    match: {method: POST}\n    detector: {type: rate, window: 1m, threshold: %s}\n  - name: pages\n    detector: {type: rate, window: 1m, threshold: 100}\n", logPath, threshold)
		if err := os.WriteFile(cfgPath, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeCfg("5")
	addr := freeAddr(t)
	cmd, logs := startRun(t, exe, nil, "-c", cfgPath, "--state-dir", filepath.Join(dir, "state"), "--listen", addr)
	threshold := func() string {
		var out bytes.Buffer
		for range 100 {
			out.Reset()
			st := exec.Command(exe, "status", "--addr", addr, "--json")
			st.Stdout = &out
			if st.Run() == nil {
				var s struct {
					Rules []struct {
						Name      string
						Threshold float64
					}
				}
				if json.Unmarshal(out.Bytes(), &s) == nil && len(s.Rules) > 0 {
					return fmt.Sprint(s.Rules[0].Threshold)
				}
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("sentinel status never answered")
		return ""
	}
	if got := threshold(); got != "5" {
		t.Fatalf("threshold = %s, want 5", got)
	}
	writeCfg("7")
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor := func(what string, cond func() bool) {
		for range 100 {
			if cond() {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatalf("timed out waiting for %s", what)
	}
	waitFor("the new threshold", func() bool { return threshold() == "7" })
	os.WriteFile(cfgPath, []byte("rules:\n  - name: broken\n    detector: {type: rate, window: soon}\n"), 0o644)
	cmd.Process.Signal(syscall.SIGHUP)
	waitFor("the rejection in the log", func() bool { return strings.Contains(logs.String(), "reload rejected") })
	if got := threshold(); got != "7" {
		t.Errorf("after a broken reload the threshold is %s, want the running 7", got)
	}
}

// freeAddr returns a loopback address with a free port.
func freeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startRun starts `sentinel run` with args, in env (nil: this process's
// environment), its output discarded and its log kept. When the test ends
// the daemon gets SIGTERM and is waited for, and its log is printed if the
// test failed.
func startRun(tb testing.TB, exe string, env []string, args ...string) (*exec.Cmd, *testutil.SyncBuffer) {
	tb.Helper()
	logs := new(testutil.SyncBuffer)
	cmd := exec.Command(exe, append([]string{"run"}, args...)...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = io.Discard, logs
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		if tb.Failed() {
			tb.Logf("daemon logs:\n%s", logs.String())
		}
	})
	return cmd, logs
}

// TestRun_zeroConfigWebhook: with no config file, SENTINEL_WEBHOOK_URL
// alone makes `sentinel run` deliver the flood's alert to a webhook, signed
// with SENTINEL_WEBHOOK_SECRET; `sentinel test-alert` reaches it too.
func TestRun_zeroConfigWebhook(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon")
	}
	t.Parallel() // waits on the wall clock: overlapped with the others that do
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !delivery.VerifySignature("k3y", r.Header.Get(delivery.TimestampHeader), body, r.Header.Get(delivery.SignatureHeader)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		got = append(got, string(body))
		mu.Unlock()
	}))
	defer srv.Close()
	received := func(rule, state string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, b := range got {
			if strings.Contains(b, `"rule":"`+rule+`"`) && strings.Contains(b, `"state":"`+state+`"`) {
				n++
			}
		}
		return n
	}
	exe := sentinelExe(t)
	env := append(os.Environ(), "SENTINEL_WEBHOOK_URL="+srv.URL+"/hook", "SENTINEL_WEBHOOK_SECRET=k3y")

	test := exec.Command(exe, "test-alert")
	test.Env = env
	if out, err := test.CombinedOutput(); err != nil || !strings.Contains(string(out), "webhook") || received("sentinel-test", "firing") != 1 {
		t.Fatalf("test-alert: %v\n%s", err, out)
	}

	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	startRun(t, exe, env, "--state-dir", filepath.Join(dir, "state"), "--listen", "", "--from-start", logPath)
	start := time.Now()
	for i := 0; time.Since(start) < 2*time.Second; i++ {
		ts := time.Now().UTC().Format("02/Jan/2006:15:04:05 -0700")
		fmt.Fprintf(f, "198.51.%d.%d - - [%s] \"POST /users/register HTTP/1.1\" 302 76 \"-\" \"bot\"\n", i/250%250, i%250, ts)
		if i%12 == 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	deadline := time.Now().Add(30 * time.Second) // the incident's page comes 10 s of log time after the first firing
	for received("signup-burst", "firing") == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the webhook never got the sign-up alert")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if n := received("signup-burst", "firing"); n != 1 {
		t.Errorf("the webhook got the sign-up alert %d times, want once", n)
	}
}

// layeredConfig keeps the embedded rules and adds a flag flip when
// sign-ups flood: the README's ten-line config.
const layeredConfig = `# sentinel.yaml: the embedded rules, plus one remedy
actions:
  - name: signups-off
    rules: [signup-burst, signup-spread]
    webhook:
      method: PATCH
      url: ${FLAGS_URL}/api/flags/signups
      body: '{"enabled": false}'
    revert: {body: '{"enabled": true}'}
`

// TestRun_layeredConfig: a ten-line config that keeps the default rules
// and adds a webhook action works with check, replay and run, and the
// environment's notifier works beside it: check lists both and where
// they come from, replay lists the action it would take, and run flips
// the flag off and back on and pages the webhook once for the flood.
func TestRun_layeredConfig(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon")
	}
	if n := strings.Count(layeredConfig, "\n"); n > 10 {
		t.Fatalf("the config has %d lines, want at most 10", n)
	}
	flags := testutil.NewFlagServer(t, "")
	hook := testutil.NewReceiver(t)
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "sentinel.yaml")
	if err := os.WriteFile(cfgPath, []byte(layeredConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	exe := sentinelExe(t)
	env := append(os.Environ(), "FLAGS_URL="+flags.URL, "SENTINEL_WEBHOOK_URL="+hook.URL+"/page")
	sentinel := func(args ...string) string {
		t.Helper()
		c := exec.Command(exe, args...)
		c.Env = env
		out, err := c.CombinedOutput()
		if err != nil {
			t.Fatalf("sentinel %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}

	out := sentinel("check", "-c", cfgPath)
	for _, want := range []string{
		"sentinel.yaml: ok: 24 rules (24 default), 0 sources",
		"signup-burst           warning  rate 10× above baseline over 30s, at least 1/s, warm-up 30m (fires at 3/s meanwhile); critical when 80% cold or 80% without a pause or 20 clients per user agent  (defaults)",
		"notifier webhook       webhook " + hook.URL + "/REDACTED: every alert  (environment (SENTINEL_WEBHOOK_URL))",
		"action   signups-off   PATCH " + flags.URL + "/api/flags/signups when signup-burst or signup-spread fires",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	sample, err := filepath.Abs(filepath.Join("..", "..", "samples", "signup-flood.log"))
	if err != nil {
		t.Fatal(err)
	}
	out = sentinel("replay", "-q", "-c", cfgPath, sample)
	if !strings.Contains(out, "2026-11-27T01:20:00Z ACTION signups-off would call PATCH "+flags.URL+"/api/flags/signups (signup-spread fired)") {
		t.Errorf("replay output lacks the planned action:\n%s", out)
	}
	if len(flags.Requests()) != 0 || len(hook.Requests()) != 0 {
		t.Fatalf("replay made requests: flags %v, webhook %d", flags.Requests(), len(hook.Requests()))
	}

	logPath := filepath.Join(dir, "access.log")
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(logPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, logs := startRun(t, exe, env, "-c", cfgPath, "--state-dir", filepath.Join(dir, "state"), "--listen", "", "--from-start", logPath)
	waitLong(t, "the flag back on after the flood", time.Minute, func() bool { return len(flags.Requests()) == 2 && flags.On() })
	waitLong(t, "the flood's page and its resolution", time.Minute, func() bool { return len(hook.Requests()) == 2 })
	if r := flags.Requests(); r[0].Body != `{"enabled": false}` || r[1].Body != `{"enabled": true}` {
		t.Errorf("flag requests = %+v, want off then on", r)
	}
	page := string(hook.Requests()[0].Body)
	if !strings.Contains(page, `"headline":"`) || !strings.Contains(page, "signup-burst, signup-spread, traffic-spike") {
		t.Errorf("webhook page = %s, want the incident with its three rules", page)
	}
	if l := logs.String(); !strings.Contains(l, `msg=notifier name=webhook`) || !strings.Contains(l, `from="environment (SENTINEL_WEBHOOK_URL)"`) {
		t.Errorf("startup log does not list the environment's notifier:\n%s", l)
	}
}

// TestRun_silenceList: 'sentinel silence list' shows the silences in
// force — the config's and those set through the API — with who set
// them, as does 'sentinel status'.
func TestRun_silenceList(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the daemon")
	}
	exe := sentinelExe(t)
	hook := testutil.NewReceiver(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "access.log")
	cfgPath := filepath.Join(dir, "sentinel.yaml")
	os.WriteFile(logPath, nil, 0o644)
	if err := os.WriteFile(cfgPath, []byte("silences:\n  - {rule: traffic-drop, until: 2199-01-01T00:00:00Z}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	startRun(t, exe, append(os.Environ(), "SENTINEL_WEBHOOK_URL="+hook.URL), "-c", cfgPath, "--state-dir", filepath.Join(dir, "state"), "--listen", addr, logPath)
	sentinel := func(args ...string) (string, error) {
		out, err := exec.Command(exe, append(args, "--addr", addr)...).CombinedOutput()
		return string(out), err
	}
	waitUntil(t, "the API", func() bool { _, err := sentinel("status"); return err == nil })
	if out, err := sentinel("silence", "signup-burst", "--for", "1h"); err != nil || !strings.Contains(out, "signup-burst: silenced until") {
		t.Fatalf("silence: %v: %s", err, out)
	}
	out, err := sentinel("silence", "list")
	if err != nil {
		t.Fatalf("silence list: %v: %s", err, out)
	}
	for _, re := range []string{`(?m)^SILENCED RULE +UNTIL +SET BY$`, `(?m)^signup-burst +\S+ +api$`, `(?m)^traffic-drop +2199-01-01T00:00:00Z +config$`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("silence list lacks %s:\n%s", re, out)
		}
	}
	if out, _ := sentinel("status"); !strings.Contains(out, "SILENCED RULE") {
		t.Errorf("status lacks the silences:\n%s", out)
	}
	if out, _ := sentinel("silence", "list", "--json"); !strings.Contains(out, `"source": "config"`) {
		t.Errorf("silence list --json = %s", out)
	}
}
