package daemon

import (
	"bufio"
	"encoding/json"
	"fmt"
	"mime"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/alerts"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// receivers are a fake Slack, webhook, ntfy and SMTP server on loopback,
// enabled the way a user does: by the environment variables, beside a
// config file.
type receivers struct {
	slack, hook, ntfy *testutil.Receiver
	smtp              *testutil.SMTPServer
}

func newReceivers(t *testing.T) *receivers {
	return &receivers{slack: testutil.NewReceiver(t), hook: testutil.NewReceiver(t), ntfy: testutil.NewReceiver(t), smtp: testutil.NewSMTPServer(t)}
}

// env is the environment that points the notifiers at the receivers.
func (r *receivers) env(name string) (string, bool) {
	v, ok := map[string]string{
		alerts.EnvSlackWebhookURL: r.slack.URL + "/services/T0/B0/secret",
		alerts.EnvWebhookURL:      r.hook.URL + "/sentinel",
		alerts.EnvNtfyURL:         r.ntfy.URL + "/phone-topic",
		alerts.EnvSMTPURL:         r.smtp.URL(),
		alerts.EnvEmailFrom:       "sentinel@example.com",
		alerts.EnvEmailTo:         "owner@example.com",
	}[name]
	return v, ok
}

// note is one notification as a receiver got it: its headline (Slack's
// text, ntfy's title, the mail's subject, the webhook's incident
// headline) and, from the webhook, its state and rules.
type note struct {
	headline string
	state    string
	rules    []string
	key      string
}

// got returns what each receiver got, by receiver.
func (r *receivers) got(t *testing.T) map[string][]note {
	t.Helper()
	out := map[string][]note{}
	for _, req := range r.slack.Requests() {
		var m struct{ Text string }
		if err := json.Unmarshal(req.Body, &m); err != nil {
			t.Fatalf("slack body %s: %v", req.Body, err)
		}
		out["slack"] = append(out["slack"], note{headline: m.Text})
	}
	for _, req := range r.ntfy.Requests() {
		var m struct{ Title string }
		if err := json.Unmarshal(req.Body, &m); err != nil {
			t.Fatalf("ntfy body %s: %v", req.Body, err)
		}
		out["ntfy"] = append(out["ntfy"], note{headline: m.Title})
	}
	for _, req := range r.hook.Requests() {
		var m struct {
			Alert struct {
				Site   string
				Labels map[string]string
			}
			Incident struct {
				Key, State, Headline string
				Alerts               []struct{ Rule string }
			}
		}
		if err := json.Unmarshal(req.Body, &m); err != nil {
			t.Fatalf("webhook body %s: %v", req.Body, err)
		}
		if m.Alert.Site != "web-1" || m.Alert.Labels["env"] != "prod" {
			t.Errorf("webhook alert site %q, labels %v; want web-1 and env=prod", m.Alert.Site, m.Alert.Labels)
		}
		n := note{headline: m.Incident.Headline, state: m.Incident.State, key: m.Incident.Key}
		for _, a := range m.Incident.Alerts {
			n.rules = append(n.rules, a.Rule)
		}
		out["webhook"] = append(out["webhook"], n)
	}
	for _, m := range r.smtp.Mails() {
		subject, err := new(mime.WordDecoder).DecodeHeader(m.Msg.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		out["email"] = append(out["email"], note{headline: subject})
	}
	return out
}

// floodDaemon runs a daemon with the receivers' notifiers and a config
// that keeps the default rules and names the site, reads log into it
// (the whole file at once: the daemon notifies on the log's clock), and
// returns once every line is read, want notifications reached each
// receiver, and no incident is left open.
func floodDaemon(t *testing.T, rc *receivers, log string, want int) {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Parse("site.yaml", []byte("settings: {site: web-1, labels: {env: prod}}\n"), rc.env)
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.AddEnvNotifiers(rc.env); err != nil {
		t.Fatal(err)
	}
	var routes []alerts.Route
	for _, n := range cfg.Notifiers {
		routes = append(routes, n.Route)
	}
	if len(routes) != 4 {
		t.Fatalf("notifiers from the environment: %+v, want 4", cfg.Notifiers)
	}
	path := filepath.Join(dir, "access.log")
	d, stop := start(t, Options{Config: cfg, Sources: []Source{{Pattern: path, Format: "auto"}}, StateDir: filepath.Join(dir, "state"),
		FromStart: true})
	n := copySample(t, log, path)
	waitForLong(t, "every line", time.Minute, func() bool { return d.Events() == uint64(n) })
	waitForLong(t, "the notifications", time.Minute, func() bool {
		return len(rc.slack.Requests()) >= want && len(rc.hook.Requests()) >= want && len(rc.ntfy.Requests()) >= want && len(rc.smtp.Mails()) >= want
	})
	waitForLong(t, "nothing more to notify", time.Minute, func() bool {
		d.mu.Lock()
		open := len(d.group.Open())
		d.mu.Unlock()
		for _, q := range d.Status().Notifiers {
			if q.Queued > 0 {
				return false
			}
		}
		return open == 0
	})
	stop()
}

// headlineRE reads a firing headline's rate now and distinct count.
var headlineRE = regexp.MustCompile(`^(?:\[critical\] )?web-1: Sign-ups at ([0-9.,]+)/s from ([0-9,]+) addresses .*— (.*)$`)

// TestDaemon_oneIncidentOnePage: the founding flood, read by the live
// daemon, raises signup-burst on the post that crosses its threshold
// (01:20:00, "3/s from 91 addresses", its warm-up level) and signup-spread and traffic-spike
// nine seconds later; each receiver gets exactly one firing notification,
// ten seconds after the first, listing the three rules, whose headline
// carries the rate and the distinct count of that moment (not of the
// crossing), and one resolved notification once all three resolved.
func TestDaemon_oneIncidentOnePage(t *testing.T) {
	rc := newReceivers(t)
	floodDaemon(t, rc, filepath.Join("..", "samples", "signup-flood.log"), 2)
	got := rc.got(t)
	for _, name := range []string{"slack", "webhook", "ntfy", "email"} {
		notes := got[name]
		t.Logf("%s got %d:", name, len(notes))
		for _, n := range notes {
			t.Logf("  %s", n.headline)
		}
		if len(notes) != 2 {
			t.Errorf("%s got %d notifications, want one firing and one resolved", name, len(notes))
			continue
		}
		fire, res := notes[0].headline, notes[1].headline
		m := headlineRE.FindStringSubmatch(fire)
		if m == nil {
			t.Errorf("%s firing headline %q, want web-1: Sign-ups at …/s from … addresses … — rules", name, fire)
			continue
		}
		rate, _ := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", ""), 64)
		distinct, _ := strconv.Atoi(strings.ReplaceAll(m[2], ",", ""))
		if rate < 200 || distinct < 1000 {
			t.Errorf("%s headline %q: %v/s from %d addresses, want the flood's size after the group wait (about 240/s from thousands)", name, fire, rate, distinct)
		}
		if m[3] != "signup-burst, signup-spread, traffic-spike" {
			t.Errorf("%s headline lists %q, want the three rules", name, m[3])
		}
		if !strings.HasPrefix(strings.TrimPrefix(res, "[critical] "), "web-1: Resolved after ") || !strings.Contains(res, "signup-burst, signup-spread, traffic-spike") {
			t.Errorf("%s resolved headline %q", name, res)
		}
	}
	if w := got["webhook"]; len(w) == 2 {
		if w[0].state != "firing" || w[1].state != "resolved" || w[0].key != w[1].key || w[0].key != "signup-spread@1795742400" {
			t.Errorf("webhook incidents = %+v, want one key, firing then resolved", w)
		}
		for _, n := range w {
			if slices.Compare(n.rules, []string{"signup-burst", "signup-spread", "traffic-spike"}) != 0 {
				t.Errorf("webhook incident rules = %v", n.rules)
			}
		}
	}
}

// TestDaemon_secondIncident: a credential-stuffing attack on the log-in
// form during the sign-up flood (5 failed log-ins a second from many
// addresses, 01:20:20 to 01:21:20) shares no event with the sign-up rules:
// it is an incident of its own, with its own page, while the flood is
// still one. (A rule joining the stuffing's incident later, login-surge,
// goes out as a quiet update of it: not counted.)
func TestDaemon_secondIncident(t *testing.T) {
	rc := newReceivers(t)
	log := filepath.Join(t.TempDir(), "flood-and-stuffing.log")
	writeWithStuffing(t, filepath.Join("..", "samples", "signup-flood.log"), log,
		time.Date(2026, 11, 27, 1, 20, 20, 0, time.UTC), time.Date(2026, 11, 27, 1, 21, 20, 0, time.UTC))
	floodDaemon(t, rc, log, 4)
	pages := func(notes []note) []note {
		return slices.DeleteFunc(notes, func(n note) bool { return strings.Contains(n.headline, ": Update: ") })
	}
	var keys []string
	for _, n := range rc.got(t)["webhook"] {
		t.Logf("%s %s %v: %s", n.key, n.state, n.rules, n.headline)
	}
	got := pages(rc.got(t)["webhook"])
	for _, n := range got {
		keys = append(keys, n.key+" "+n.state)
	}
	want := []string{"signup-spread@1795742400 firing", "login-failure-spread@", "signup-spread@1795742400 resolved", "login-failure-spread@"}
	if len(got) != 4 {
		t.Fatalf("webhook got %v, want two incidents, each firing and resolved", keys)
	}
	byKey := map[string][]note{}
	for _, n := range got {
		byKey[n.key] = append(byKey[n.key], n)
	}
	flood, stuffing := byKey["signup-spread@1795742400"], []note(nil)
	for k, v := range byKey {
		if strings.HasPrefix(k, "login-failure") {
			stuffing = v
		}
	}
	if len(flood) != 2 || len(stuffing) != 2 {
		t.Fatalf("webhook got %v, want %v", keys, want)
	}
	if slices.Contains(flood[0].rules, "login-failure-burst") || !slices.Contains(stuffing[0].rules, "login-failure-burst") ||
		slices.Contains(stuffing[0].rules, "signup-burst") {
		t.Errorf("flood rules %v, stuffing rules %v: want them apart", flood[0].rules, stuffing[0].rules)
	}
	for _, name := range []string{"slack", "ntfy", "email"} {
		if n := len(pages(rc.got(t)[name])); n != 4 {
			t.Errorf("%s got %d notifications besides updates, want 4 (two incidents)", name, n)
		}
	}
}

// writeWithStuffing copies the sample to path with 5 failed log-ins a
// second, each from another address, from from to to, in time order.
func writeWithStuffing(t *testing.T, sample, path string, from, to time.Time) {
	t.Helper()
	in, err := os.Open(sample)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w := bufio.NewWriter(out)
	next, n := from, 0
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		line := sc.Text()
		i := strings.IndexByte(line, '[')
		at, err := time.Parse("02/Jan/2006:15:04:05 -0700", line[i+1:i+27])
		if err != nil {
			t.Fatalf("sample line %q: %v", line, err)
		}
		for !next.After(at) && next.Before(to) {
			for range 5 {
				n++
				fmt.Fprintf(w, "45.%d.%d.%d - - [%s] \"POST /users/log_in HTTP/1.1\" 200 3120 \"-\" \"python-requests/2.31\"\n",
					n/65536%256, n/256%256, n%256, next.Format("02/Jan/2006:15:04:05 -0700"))
			}
			next = next.Add(time.Second)
		}
		fmt.Fprintln(w, line)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

// metricValue returns the value of the series name{label=value} the
// daemon's registry holds, and whether it holds it.
func metricValue(t *testing.T, d *Daemon, name, label, value string) (float64, bool) {
	t.Helper()
	mfs, err := d.Metrics().Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					if g := m.GetGauge(); g != nil {
						return g.GetValue(), true
					}
					return m.GetCounter().GetValue(), true
				}
			}
		}
	}
	return 0, false
}

// TestDaemon_metricsFromStart: every rule's, notifier's and source's
// series exist before any line; once the log is read to its end, the lag
// is 0 however long ago its last line was written (a quiet log is no
// lag); each rule's value and threshold are published; the status says
// which baseline rules still learn, and every alert carries the site.
func TestDaemon_metricsFromStart(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "access.log")
	if err := os.WriteFile(path, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	var rec recorder
	hook := testutil.NewReceiver(t)
	n, err := alerts.NewWebhook(alerts.WebhookOptions{URL: hook.URL})
	if err != nil {
		t.Fatal(err)
	}
	d, stop := start(t, Options{Config: cfg, Sources: []Source{{Pattern: path, Format: "auto"}}, StateDir: filepath.Join(dir, "state"),
		FromStart: true, Emit: rec.emit, Routes: []alerts.Route{{Name: "hook", Notifier: n}}, Host: "web-1"})
	defer stop()
	for _, s := range []struct{ name, label, value string }{
		{"sentinel_rule_firing", "rule", "traffic-drop"}, {"sentinel_alerts_total", "rule", "signup-spread"},
		{"sentinel_rule_value", "rule", "signup-burst"}, {"sentinel_notifications_total", "notifier", "hook"},
		{"sentinel_lines_read_total", "source", path}, {"sentinel_lag_seconds", "source", path},
	} {
		if _, ok := metricValue(t, d, s.name, s.label, s.value); !ok {
			t.Errorf("%s{%s=%q} missing before the first line", s.name, s.label, s.value)
		}
	}
	lines := copySample(t, filepath.Join("..", "samples", "signup-flood.log"), path) // written days ago, by its time stamps
	waitForLong(t, "every line", time.Minute, func() bool { return d.Events() == uint64(lines) })
	waitForLong(t, "the metrics published", time.Minute, func() bool {
		v, _ := metricValue(t, d, "sentinel_lines_read_total", "source", path)
		return v == float64(lines)
	})
	if lag, _ := metricValue(t, d, "sentinel_lag_seconds", "source", path); lag != 0 {
		t.Errorf("sentinel_lag_seconds = %v with every line read, want 0", lag)
	}
	// The gauge follows the rule's threshold as status shows it (published
	// at the next tick).
	want := -1.0
	for _, r := range d.Status().Rules {
		if r.Name == "signup-burst" {
			want = r.Threshold
		}
	}
	waitForLong(t, "the threshold gauge", 10*time.Second, func() bool {
		th, _ := metricValue(t, d, "sentinel_rule_threshold", "rule", "signup-burst")
		return th == want && want > 0
	})
	st := d.Status()
	if st.Sources[0].LagSeconds != 0 || st.Sources[0].LagBytes != 0 {
		t.Errorf("status source = %+v, want no lag", st.Sources[0])
	}
	for _, r := range st.Rules {
		if r.Name == "traffic-drop" && !strings.HasPrefix(r.Learning, "warm-up") {
			t.Errorf("traffic-drop status = %+v, want its warm-up said (the sample is shorter than an hour)", r)
		}
	}
	a, _, _ := rec.first("signup-burst", "firing")
	if a.Site != "web-1" {
		t.Errorf("alert site = %q, want web-1 on every transition", a.Site)
	}
}
