// Command corpuscheck replays the shared corpus of real access logs (see
// its README) through sentinel's parsers and default rules, and fails when
// a real-traffic file accepts fewer than 99% of its lines, a format
// fixture does not parse, or the default rules raise an alert on the
// benign baseline. CI runs it through scripts/corpus-check when the
// corpus is present; go test does not need it.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/replay"
)

// file is one corpus file and what it must show.
type file struct {
	path   string
	format string  // the format detection must find
	accept float64 // the share of lines (blank ones aside) that must parse
	quiet  bool    // the default rules must raise no alert
	// skew replaces the default lateness allowance, for files whose lines
	// are out of time order.
	skew time.Duration
}

// Section 1 of the corpus README: real traffic.
var realTraffic = []file{
	// Shuffled within each minute (lines lag the newest by up to 59 s), so
	// it is replayed with a minute of skew; otherwise most lines would be
	// late and the quiet check would prove nothing.
	{path: "elastic-examples/apache_logs", format: "combined", accept: 0.99, quiet: true, skew: time.Minute},
	{path: "ployt0-nginx_log_parser/access.log", format: "combined", accept: 0.99},
	{path: "nielsbasjes-logparser/hackers-access.log", format: "combined", accept: 0.99},
	{path: "secrepo-via-slrbl/access.log.2021-10-22", format: "combined", accept: 0.99},
	{path: "secrepo-via-slrbl/access.log.2022-12-22", format: "combined", accept: 0.99},
	{path: "lnav/logfile_shop_access_log.0", format: "combined", accept: 0.99},
}

// Section 2: format fixtures in a format sentinel reads. Fixtures made to
// be malformed, and files mixing formats, accept less.
var fixtures = []file{
	{path: "elastic-integrations/test-access.log", format: "vhost_combined", accept: 1},
	{path: "elastic-integrations/test-format-common.log", format: "combined", accept: 1},
	{path: "lnav/logfile_access_log.0", format: "combined", accept: 1},
	{path: "lnav/logfile_caddy_log.0", format: "caddy", accept: 1},
	{path: "lnav/logfile_logfmt.0", format: "logfmt", accept: 1},
	{path: "crowdsec-hub/caddy-logs/caddy-logs.log", format: "caddy", accept: 1},
	// A Traefik plugin's debug line sits among the access lines.
	{path: "crowdsec-hub/traefik_json/traefik_json.log", format: "traefik_json", accept: 0.85},
	{path: "crowdsec-hub/traefik_clf/traefik_clf.log", format: "combined", accept: 1},
	// These two mix lines with and without a vhost and end with
	// error-log lines; the nginx one also has a line with a field missing.
	{path: "crowdsec-hub/apache2-logs/apache2-logs.log", format: "vhost_combined", accept: 0.77},
	{path: "crowdsec-hub/nginx_http-logs/nginx_http-logs.log", format: "vhost_combined", accept: 0.77},
	{path: "crowdsec-hub/http-dos-bypass-cache/http_dos_bypass_cache.log", format: "combined", accept: 1},
	{path: "crowdsec-hub/http-dos-random-uri/http_dos_random_uri.log", format: "combined", accept: 1},
	{path: "crowdsec-hub/apache-http-probing/apache-http-probing.log", format: "combined", accept: 1},
	{path: "crowdsec-hub/ipv6-postoverflow/ipv6-postoverflow.log", format: "combined", accept: 1},
	// nginx access lines behind an RFC 3164 syslog header.
	{path: "crowdsec-hub/http-bf-wordpress-bf/http-bf-wordpress-bf.log", format: "combined", accept: 1},
	{path: "crowdsec-hub/http-wordpress_wpconfig/http-wordpress_wpconfig.log", format: "combined", accept: 1},
	{path: "crowdsec-hub/http-wordpress_user-enum/http-wordpress_user-enum.log", format: "combined", accept: 1},
	{path: "crowdsec-hub/http-dos-switching-ua/http-dos-switching-ua.log", format: "combined", accept: 1},
	{path: "crowdsec-hub/apache2-malformed/apache2-logs.log", format: "combined", accept: 1},
	{path: "crowdsec-hub/caddy-basic-auth-bf/caddy-logs.log", format: "caddy", accept: 1},
	{path: "crowdsec-hub/jellyfin-whitelist/jellyfin-logs.log", format: "combined", accept: 1},
	{path: "crowdsec-hub/nextcloud-whitelist/nextcloud-whitelist.log", format: "combined", accept: 1},
}

func main() {
	dir := flag.String("corpus", "../shared/corpus", "the corpus directory")
	flag.Parse()
	if err := run(*dir, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "corpuscheck: %v\n", err)
		os.Exit(1)
	}
}

func run(dir string, w io.Writer) error {
	failed := 0
	for i, group := range [][]file{realTraffic, fixtures} {
		for _, f := range group {
			real := i == 0
			if msg := check(filepath.Join(dir, f.path), f, real, w); msg != "" {
				fmt.Fprintf(w, "FAIL   %s: %s\n", f.path, msg)
				failed++
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d corpus checks failed", failed)
	}
	return nil
}

// check replays one file and returns what is wrong with it, or "". Real
// traffic must also reach the rules: few late lines. (Fixtures are lines
// gathered from many days, out of order.)
func check(path string, f file, real bool, w io.Writer) string {
	cfg := config.Default()
	if f.skew > 0 {
		cfg.Settings.Skew = f.skew
	}
	var fired []alert.Alert
	res, err := replay.Run(context.Background(), cfg, []replay.Input{{Path: path}}, replay.Options{OnAlert: func(a alert.Alert) {
		if a.State == alert.Firing && !a.Escalated {
			fired = append(fired, a)
		}
	}})
	if err != nil {
		return err.Error()
	}
	st := res.Stats[0]
	counted := st.Lines - st.Ignored
	share := 1.0
	if counted > 0 {
		share = float64(st.Parsed) / float64(counted)
	}
	late := res.Engine.Stats().Late
	fmt.Fprintf(w, "read   %s: %s, %d/%d lines parsed (%.2f%%), %d events, %d late, %d alerts\n",
		f.path, st.Format, st.Parsed, counted, 100*share, st.Events, late, len(fired))
	for _, e := range st.Errors {
		fmt.Fprintf(w, "         skipped %s\n", alert.Sanitize(e.Error(), 160))
	}
	for _, a := range fired {
		fmt.Fprintf(w, "         alert %s at %s: %g%s\n", a.Rule, a.Time.Format("2006-01-02T15:04:05Z"), a.Value, a.Unit)
	}
	switch {
	case st.Format != f.format:
		return fmt.Sprintf("detected format %q, want %q", st.Format, f.format)
	case share < f.accept:
		return fmt.Sprintf("%.2f%% of lines parsed, want at least %.0f%%", 100*share, 100*f.accept)
	case real && float64(late) > 0.01*float64(st.Events):
		return fmt.Sprintf("%d of %d events were late: the rules did not see the traffic", late, st.Events)
	case f.quiet && len(fired) > 0:
		return fmt.Sprintf("the default rules raised %d alerts on benign traffic", len(fired))
	}
	return ""
}
