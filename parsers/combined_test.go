package parsers

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// combinedFiles are the inputs of NewCombined's golden tests, fuzz seeds
// and benchmarks; see testdata/README.md for where their lines come from.
var combinedFiles = []string{
	"testdata/nginx_combined.log",
	"testdata/syslog_combined.log",
	"testdata/apache_combined.log",
	"testdata/traefik_clf.log",
	"testdata/common.log",
}

const vhostFile = "testdata/vhost_combined.log"

// req builds the Event a test expects for a request line; fields not set
// by the options keep their absent values.
func req(t string, opts ...func(*Event)) Event {
	ev := Event{Kind: KindRequest, Bytes: -1, Duration: -1}
	tm, err := time.Parse("02/Jan/2006:15:04:05 -0700", t)
	if err != nil {
		panic(err)
	}
	ev.Time = tm.UTC()
	for _, o := range opts {
		o(&ev)
	}
	return ev
}

func b(s string) []byte { return []byte(s) }

func client(ip string) func(*Event) { return func(ev *Event) { ev.ClientIP = b(ip) } }
func host(h string) func(*Event)    { return func(ev *Event) { ev.Host = b(h) } }
func status(s int) func(*Event)     { return func(ev *Event) { ev.Status = s } }
func size(n int64) func(*Event)     { return func(ev *Event) { ev.Bytes = n } }
func ua(s string) func(*Event)      { return func(ev *Event) { ev.UserAgent = b(s) } }
func referer(s string) func(*Event) { return func(ev *Event) { ev.Referer = b(s) } }
func took(d time.Duration) func(*Event) {
	return func(ev *Event) { ev.Duration = d }
}

// tookFromStart is took for a line stamped with the request's start
// (Traefik's CLF): the event's time is its end.
func tookFromStart(d time.Duration) func(*Event) {
	return func(ev *Event) { ev.Duration, ev.Time = d, ev.Time.Add(d) }
}
func extra(name, value string) func(*Event) {
	return func(ev *Event) { ev.AddExtra(name, b(value)) }
}

// request sets method, target (split into Path and Query) and protocol;
// empty strings stay nil.
func request(method, target, proto string) func(*Event) {
	return func(ev *Event) {
		if method != "" {
			ev.Method = b(method)
		}
		if target != "" {
			ev.SplitTarget(b(target))
		}
		if proto != "" {
			ev.Protocol = b(proto)
		}
	}
}

// ignoreHint leaves out what a parser notes for the detector beside the
// fields (Event.ClientNet24, checked by TestCombined_clientNet24).
var ignoreHint = cmpopts.IgnoreUnexported(Event{})

var ignoreRaw = cmp.Options{cmpopts.IgnoreFields(Event{}, "Raw"), ignoreHint}

func TestCombined_Parse(t *testing.T) {
	tests := []struct {
		name  string
		vhost bool
		line  string
		want  Event
	}{
		{
			name: "nginx combined",
			line: `18.184.180.0 - - [01/Sep/2022:22:12:45 +0000] "GET /.well-known/acme-challenge/iGh_RMDdWiLd4vDnqkDBDM_Riw5Gz04mMhsB02x07WU HTTP/1.1" 200 87 "-" "Mozilla/5.0 (compatible; Let's Encrypt validation server; +https://www.letsencrypt.org)"`,
			want: req("01/Sep/2022:22:12:45 +0000", client("18.184.180.0"),
				request("GET", "/.well-known/acme-challenge/iGh_RMDdWiLd4vDnqkDBDM_Riw5Gz04mMhsB02x07WU", "HTTP/1.1"),
				status(200), size(87), ua("Mozilla/5.0 (compatible; Let's Encrypt validation server; +https://www.letsencrypt.org)")),
		},
		{
			name: "empty request line",
			line: `76.72.172.0 - - [03/Sep/2022:02:43:16 +0000] "" 400 0 "-" "-"`,
			want: req("03/Sep/2022:02:43:16 +0000", client("76.72.172.0"), status(400), size(0)),
		},
		{
			name: "rdp cookie probe",
			line: `62.233.50.0 - - [02/Sep/2022:03:33:24 +0000] "\x03\x00\x00/*\xE0\x00\x00\x00\x00\x00Cookie: mstshash=Administr" 400 157 "-" "-"`,
			want: req("02/Sep/2022:03:33:24 +0000", client("62.233.50.0"), status(400), size(157)),
		},
		{
			name: "tls handshake with a space",
			line: `1.2.3.4 - - [17/Oct/2023:05:57:49 +1100] "\x16\x03\x01\x01 \x02" 400 226 "-" "-"`,
			want: req("17/Oct/2023:05:57:49 +1100", client("1.2.3.4"), status(400), size(226)),
		},
		{
			name: "probe of token characters",
			line: `1.2.3.4 - - [29/Jul/2023:10:26:06 -0700] "145.ll|'|'|SGFj|'|'|Win 7 Professional SP1 x64|'|'|No" 400 157 "-" "-"`,
			want: req("29/Jul/2023:10:26:06 -0700", client("1.2.3.4"), status(400), size(157)),
		},
		{
			name: "single word request",
			line: `1.2.3.4 - - [29/Jul/2023:10:26:06 -0700] "HELP" 400 157 "-" "-"`,
			want: req("29/Jul/2023:10:26:06 -0700", client("1.2.3.4"), status(400), size(157)),
		},
		{
			name: "apache dash request",
			line: `198.51.100.29 - - [29/Sep/2021:12:37:07 +0000] "-" 408 - "-" "-"`,
			want: req("29/Sep/2021:12:37:07 +0000", client("198.51.100.29"), status(408)),
		},
		{
			name: "nginx escaped quote in user agent",
			line: `172.105.85.90 - - [05/Sep/2022:14:52:48 +0000] "GET /nmaplowercheck1662389561 HTTP/1.1" 404 22 "-" "\x22Mozilla/5.0"`,
			want: req("05/Sep/2022:14:52:48 +0000", client("172.105.85.90"),
				request("GET", "/nmaplowercheck1662389561", "HTTP/1.1"), status(404), size(22), ua(`\x22Mozilla/5.0`)),
		},
		{
			name: "absolute-form target",
			line: `222.88.236.235 - - [25/Oct/2015:04:39:09 +0100] "GET http://niels.basj.es/acl_users/require_login?came_from=http%3A//niels.basj.es/join_form HTTP/1.0" 200 11713 "http://niels.basj.es/" "Mozilla/5.0"`,
			want: req("25/Oct/2015:04:39:09 +0100", client("222.88.236.235"),
				request("GET", "http://niels.basj.es/acl_users/require_login?came_from=http%3A//niels.basj.es/join_form", "HTTP/1.0"),
				status(200), size(11713), referer("http://niels.basj.es/"), ua("Mozilla/5.0")),
		},
		{
			name: "connect",
			line: `127.0.0.1 - - [24/Sep/2021:06:20:32 +0000] "CONNECT foo.com:25 HTTP/1.1" 400 166 "-" "-"`,
			want: req("24/Sep/2021:06:20:32 +0000", client("127.0.0.1"),
				request("CONNECT", "foo.com:25", "HTTP/1.1"), status(400), size(166)),
		},
		{
			name: "http/0.9 without protocol",
			line: `192.0.2.14 - - [03/Sep/2022:04:10:18 +0000] "GET /index.html" 200 612 "-" "-"`,
			want: req("03/Sep/2022:04:10:18 +0000", client("192.0.2.14"), request("GET", "/index.html", ""), status(200), size(612)),
		},
		{
			name: "space inside target",
			line: `192.0.2.15 - - [03/Sep/2022:04:10:19 +0000] "GET /a file.txt?x=a b HTTP/1.1" 404 153 "-" "Wget/1.21"`,
			want: req("03/Sep/2022:04:10:19 +0000", client("192.0.2.15"),
				request("GET", "/a file.txt?x=a b", "HTTP/1.1"), status(404), size(153), ua("Wget/1.21")),
		},
		{
			name: "space inside target without protocol",
			line: `192.0.2.16 - - [03/Sep/2022:04:10:20 +0000] "GET /a b c" 400 150 "-" "-"`,
			want: req("03/Sep/2022:04:10:20 +0000", client("192.0.2.16"), request("GET", "/a b c", ""), status(400), size(150)),
		},
		{
			name: "nginx main forwarded for",
			line: `192.0.2.10 - - [03/Sep/2022:04:10:11 +0000] "GET /wp-login.php HTTP/1.1" 200 4523 "-" "Firefox/102.0" "203.0.113.7, 10.0.0.2"`,
			want: req("03/Sep/2022:04:10:11 +0000", client("192.0.2.10"), request("GET", "/wp-login.php", "HTTP/1.1"),
				status(200), size(4523), ua("Firefox/102.0"), extra("forwarded_for", "203.0.113.7, 10.0.0.2")),
		},
		{
			// From a load balancer's private address: the client is the
			// rightmost public address of the list (the one the balancer
			// added), not the balancer, nor what the client forged.
			name: "nginx main behind a private load balancer",
			line: `10.0.3.7 - - [03/Sep/2022:04:10:11 +0000] "POST /users/register HTTP/1.1" 302 0 "-" "Firefox/102.0" "203.0.113.7, 198.51.100.20"`,
			want: req("03/Sep/2022:04:10:11 +0000", client("198.51.100.20"), request("POST", "/users/register", "HTTP/1.1"),
				status(302), size(0), ua("Firefox/102.0"), extra("forwarded_for", "203.0.113.7, 198.51.100.20")),
		},
		{
			name: "nginx main behind two private hops",
			line: `127.0.0.1 - - [03/Sep/2022:04:10:11 +0000] "GET / HTTP/1.1" 200 5 "-" "curl/8.5.0" "2001:db8:5::9, 10.0.0.2"`,
			want: req("03/Sep/2022:04:10:11 +0000", client("2001:db8:5::9"), request("GET", "/", "HTTP/1.1"),
				status(200), size(5), ua("curl/8.5.0"), extra("forwarded_for", "2001:db8:5::9, 10.0.0.2")),
		},
		{
			name: "nginx main dash forwarded for",
			line: `127.0.0.2 - - [08/Aug/2022:21:18:26 +0000] "GET http://www.sbjudge4.com:80/ip4.php HTTP/1.0" 400 255 "-" "-" "-"`,
			want: req("08/Aug/2022:21:18:26 +0000", client("127.0.0.2"),
				request("GET", "http://www.sbjudge4.com:80/ip4.php", "HTTP/1.0"), status(400), size(255)),
		},
		{
			name: "traefik",
			line: `172.17.0.1 - - [08/Dec/2021:13:59:39 +0000] "GET /index?toto=tata HTTP/1.1" 200 352 "-" "Nikto" 242 "test@docker" "http://172.17.0.3:80" 1ms`,
			want: req("08/Dec/2021:13:59:39 +0000", client("172.17.0.1"), request("GET", "/index?toto=tata", "HTTP/1.1"),
				status(200), size(352), ua("Nikto"), tookFromStart(time.Millisecond),
				extra("router", "test@docker"), extra("server_url", "http://172.17.0.3:80")),
		},
		{
			name: "traefik bare dash referer",
			line: `198.51.100.40 - - [28/Feb/2018:17:30:33 +0000] "GET /en/ HTTP/2.0" 200 2814 - "Mozilla/5.0 (iPhone)" 13 "Host-host1-com-0" "http://172.19.0.6:14008" 247ms`,
			want: req("28/Feb/2018:17:30:33 +0000", client("198.51.100.40"), request("GET", "/en/", "HTTP/2.0"),
				status(200), size(2814), ua("Mozilla/5.0 (iPhone)"), tookFromStart(247*time.Millisecond),
				extra("router", "Host-host1-com-0"), extra("server_url", "http://172.19.0.6:14008")),
		},
		{
			name: "traefik dash status and size",
			line: `::1 - - [15/Apr/2024:13:04:10 +0000] "GET / HTTP/1.1" - - "-" "-" 27 "-" "-" 0ms`,
			want: req("15/Apr/2024:13:04:10 +0000", client("::1"), request("GET", "/", "HTTP/1.1"), tookFromStart(0)),
		},
		{
			// Traefik's CLF stamps the request's start: a gateway
			// timeout's line, written a minute later, would sit a minute
			// behind the lines written meanwhile and be dropped as late
			// (the engine's skew is 5 s). Its end is the start plus the
			// duration.
			name: "traefik slow request stamped at its end",
			line: `203.0.113.9 - - [28/Feb/2018:17:30:35 +0000] "POST /users/log_in HTTP/1.1" 504 15 "-" "curl/8.5.0" 16 "web@docker" "http://10.0.0.2:80" 60003ms`,
			want: req("28/Feb/2018:17:31:35 +0000", client("203.0.113.9"), request("POST", "/users/log_in", "HTTP/1.1"),
				status(504), size(15), ua("curl/8.5.0"), took(60003*time.Millisecond), func(ev *Event) { ev.Time = ev.Time.Add(3 * time.Millisecond) },
				extra("router", "web@docker"), extra("server_url", "http://10.0.0.2:80")),
		},
		{
			name: "traefik raw quotes in user agent",
			line: `198.51.100.42 - - [28/Feb/2018:17:30:35 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozilla "raw"quotes" 15 "web@docker" "http://10.0.0.2:80" 3ms`,
			want: req("28/Feb/2018:17:30:35 +0000", client("198.51.100.42"), request("GET", "/", "HTTP/1.1"),
				status(200), size(5), ua(`Mozilla "raw"quotes`), tookFromStart(3*time.Millisecond),
				extra("router", "web@docker"), extra("server_url", "http://10.0.0.2:80")),
		},
		{
			name: "unknown trailer ignored",
			line: `192.0.2.21 - - [03/Sep/2022:04:10:25 +0000] "GET / HTTP/1.1" 200 612 "-" "Mozilla/5.0" rt=0.004 uct="0.001"`,
			want: req("03/Sep/2022:04:10:25 +0000", client("192.0.2.21"), request("GET", "/", "HTTP/1.1"), status(200), size(612), ua("Mozilla/5.0")),
		},
		{
			name: "apache escaped quotes in request",
			line: `172.17.0.1 - - [29/Sep/2021:12:37:05 +0000] "GET /sys/code/box.inc.php?config[\\\"sipssys\\\"]=http://cirt.net/rfiinc.txt? HTTP/1.1" 404 196`,
			want: req("29/Sep/2021:12:37:05 +0000", client("172.17.0.1"),
				request("GET", `/sys/code/box.inc.php?config[\\\"sipssys\\\"]=http://cirt.net/rfiinc.txt?`, "HTTP/1.1"), status(404), size(196)),
		},
		{
			name: "apache escaped quote and backslash in user agent",
			line: `198.51.100.27 - - [29/Sep/2021:12:37:05 +0000] "GET /a\\ HTTP/1.1" 404 196 "-" "agent \"q\" \\"`,
			want: req("29/Sep/2021:12:37:05 +0000", client("198.51.100.27"),
				request("GET", `/a\\`, "HTTP/1.1"), status(404), size(196), ua(`agent \"q\" \\`)),
		},
		{
			name: "apache escaped quote followed by space",
			line: `198.51.100.28 - - [29/Sep/2021:12:37:05 +0000] "GET /q?x=\" HTTP/1.1\" 200 1 \"-\" \"fake" 404 196 "-" "-"`,
			want: req("29/Sep/2021:12:37:05 +0000", client("198.51.100.28"),
				request("GET", `/q?x=\" HTTP/1.1\" 200 1 \"-\" \"fake`, ""), status(404), size(196)),
		},
		{
			name: "apache dash bytes",
			line: `218.30.103.62 - - [17/May/2015:11:05:17 +0000] "GET /projects/xdotool/xdotool.xhtml HTTP/1.1" 304 - "-" "Sogou web spider/4.0"`,
			want: req("17/May/2015:11:05:17 +0000", client("218.30.103.62"),
				request("GET", "/projects/xdotool/xdotool.xhtml", "HTTP/1.1"), status(304), ua("Sogou web spider/4.0")),
		},
		{
			name: "bytes beyond 32 bits",
			line: `198.51.100.30 - - [29/Sep/2021:12:37:08 +0000] "GET / HTTP/1.1" 200 12345678901 "-" "-"`,
			want: req("29/Sep/2021:12:37:08 +0000", client("198.51.100.30"), request("GET", "/", "HTTP/1.1"), status(200), size(12345678901)),
		},
		{
			name: "ipv6 client",
			line: `2001:41d0:8:f69::1 - - [29/Oct/2015:06:47:37 +0100] "GET /join_form HTTP/1.1" 200 12191 "http://niels.basjes.nl/" "Mozilla/5.0"`,
			want: req("29/Oct/2015:06:47:37 +0100", client("2001:41d0:8:f69::1"), request("GET", "/join_form", "HTTP/1.1"),
				status(200), size(12191), referer("http://niels.basjes.nl/"), ua("Mozilla/5.0")),
		},
		{
			name: "ipv6 loopback client",
			line: `::1 - - [03/Sep/2022:04:10:15 +0000] "GET /health HTTP/1.1" 200 2 "-" "kube-probe/1.27"`,
			want: req("03/Sep/2022:04:10:15 +0000", client("::1"), request("GET", "/health", "HTTP/1.1"), status(200), size(2), ua("kube-probe/1.27")),
		},
		{
			name: "ipv4-mapped client",
			line: `::ffff:1.2.3.4 - - [03/Sep/2022:04:10:14 +0000] "GET /robots.txt HTTP/1.1" 200 68 "-" "Googlebot/2.1"`,
			want: req("03/Sep/2022:04:10:14 +0000", client("1.2.3.4"), request("GET", "/robots.txt", "HTTP/1.1"), status(200), size(68), ua("Googlebot/2.1")),
		},
		{
			name: "hostname client",
			line: `crawl-66-249-66-1.googlebot.com - - [29/Sep/2021:12:37:06 +0000] "GET / HTTP/1.1" 200 5000 "-" "Googlebot/2.1"`,
			want: req("29/Sep/2021:12:37:06 +0000", client("crawl-66-249-66-1.googlebot.com"), request("GET", "/", "HTTP/1.1"), status(200), size(5000), ua("Googlebot/2.1")),
		},
		{
			name: "trailing spaces",
			line: `198.51.100.23 - - [22/Oct/2021:02:28:56 -0700] "GET /Datasets%20Description/ftp.html HTTP/1.1" 200 1486 "-" "AhrefsBot/7.0" ` + "  ",
			want: req("22/Oct/2021:02:28:56 -0700", client("198.51.100.23"), request("GET", "/Datasets%20Description/ftp.html", "HTTP/1.1"), status(200), size(1486), ua("AhrefsBot/7.0")),
		},
		{
			name: "trailing carriage return",
			line: "192.0.2.19 - - [03/Sep/2022:04:10:23 +0000] \"GET /crlf HTTP/1.1\" 200 10 \"-\" \"-\"\r",
			want: req("03/Sep/2022:04:10:23 +0000", client("192.0.2.19"), request("GET", "/crlf", "HTTP/1.1"), status(200), size(10)),
		},
		{
			name: "half hour offset",
			line: `31.56.96.51 - - [22/Jan/2019:03:56:16 +0330] "GET /image/60844 HTTP/1.1" 200 5667 "https://shop.example/m" "Mozilla/5.0" "-"`,
			want: req("22/Jan/2019:03:56:16 +0330", client("31.56.96.51"), request("GET", "/image/60844", "HTTP/1.1"),
				status(200), size(5667), referer("https://shop.example/m"), ua("Mozilla/5.0")),
		},
		{
			name: "remote user and query",
			line: `192.0.2.12 - alice [03/Sep/2022:04:10:13 +0545] "POST /login?next=%2Fadmin HTTP/1.1" 302 0 "https://example.com/login" "curl/8.1.2"`,
			want: req("03/Sep/2022:04:10:13 +0545", client("192.0.2.12"), request("POST", "/login?next=%2Fadmin", "HTTP/1.1"),
				status(302), size(0), referer("https://example.com/login"), ua("curl/8.1.2"), extra("remote_user", "alice")),
		},
		{
			name: "empty referer and user agent",
			line: `192.0.2.20 - - [03/Sep/2022:04:10:24 +0000] "GET /empty-ua HTTP/1.1" 200 10 "" ""`,
			want: req("03/Sep/2022:04:10:24 +0000", client("192.0.2.20"), request("GET", "/empty-ua", "HTTP/1.1"),
				status(200), size(10), referer(""), ua("")),
		},
		{
			name: "common",
			line: `127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326`,
			want: req("10/Oct/2000:13:55:36 -0700", client("127.0.0.1"), request("GET", "/apache_pb.gif", "HTTP/1.0"),
				status(200), size(2326), extra("remote_user", "frank")),
		},
		{
			name:  "vhost with port",
			vhost: true,
			line:  `website.com:443 1.2.3.4 - - [25/Oct/2021:11:05:52 +0200] "GET /web/.well-known HTTP/1.1" 403 6963 "abc.com" "User-agent-string"`,
			want: req("25/Oct/2021:11:05:52 +0200", host("website.com"), client("1.2.3.4"), request("GET", "/web/.well-known", "HTTP/1.1"),
				status(403), size(6963), referer("abc.com"), ua("User-agent-string")),
		},
		{
			name:  "vhost without port",
			vhost: true,
			line:  `www.crowdsec.net 1.2.3.4 - - [08/Jun/2020:08:04:43 +0000] "GET /solr/admin/info/system?wt=json HTTP/1.1" 500 803 "-" "Mozilla/5.0"`,
			want: req("08/Jun/2020:08:04:43 +0000", host("www.crowdsec.net"), client("1.2.3.4"),
				request("GET", "/solr/admin/info/system?wt=json", "HTTP/1.1"), status(500), size(803), ua("Mozilla/5.0")),
		},
		{
			name:  "vhost ipv6 client",
			vhost: true,
			line:  `shop.example.com:443 2001:db8::1 - - [08/Jun/2020:08:04:44 +0000] "POST /account/register HTTP/1.1" 302 0 "-" "Mozilla/5.0"`,
			want: req("08/Jun/2020:08:04:44 +0000", host("shop.example.com"), client("2001:db8::1"),
				request("POST", "/account/register", "HTTP/1.1"), status(302), size(0), ua("Mozilla/5.0")),
		},
		{
			name:  "vhost bracketed ipv6 with port",
			vhost: true,
			line:  `[2001:db8::2]:8443 192.0.2.3 - - [09/Jun/2020:12:10:40 -0700] "GET / HTTP/1.1" 200 10 "-" "-"`,
			want:  req("09/Jun/2020:12:10:40 -0700", host("2001:db8::2"), client("192.0.2.3"), request("GET", "/", "HTTP/1.1"), status(200), size(10)),
		},
		{
			name:  "vhost bare ipv6 kept whole",
			vhost: true,
			line:  `2001:db8::3 192.0.2.4 - - [09/Jun/2020:12:10:41 -0700] "GET / HTTP/1.1" 200 10 "-" "-"`,
			want:  req("09/Jun/2020:12:10:41 -0700", host("2001:db8::3"), client("192.0.2.4"), request("GET", "/", "HTTP/1.1"), status(200), size(10)),
		},
		{
			name:  "vhost port not numeric",
			vhost: true,
			line:  `localhost:abc 192.0.2.5 - - [09/Jun/2020:12:10:42 -0700] "GET / HTTP/1.1" 200 10 "-" "-"`,
			want:  req("09/Jun/2020:12:10:42 -0700", host("localhost:abc"), client("192.0.2.5"), request("GET", "/", "HTTP/1.1"), status(200), size(10)),
		},
		{
			name:  "vhost missing",
			vhost: true,
			line:  `192.0.2.6 - - [09/Jun/2020:12:10:43 -0700] "GET /no-vhost HTTP/1.1" 200 10 "-" "-"`,
			want:  req("09/Jun/2020:12:10:43 -0700", client("192.0.2.6"), request("GET", "/no-vhost", "HTTP/1.1"), status(200), size(10)),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewCombined()
			if tt.vhost {
				c = NewVhostCombined()
			}
			line := b(tt.line)
			var ev Event
			if err := c.Parse(line, &ev); err != nil {
				t.Fatalf("Parse(%q) = %v, want nil", line, err)
			}
			if diff := cmp.Diff(tt.want, ev, ignoreRaw); diff != "" {
				t.Errorf("Parse(%q) mismatch (-want +got):\n%s", line, diff)
			}
			if !sameSlice(ev.Raw, line) {
				t.Errorf("Parse(%q).Raw = %q, want the line itself", line, ev.Raw)
			}
			checkEvent(t, line, &ev)
		})
	}
}

func TestCombined_ParseError(t *testing.T) {
	tests := []struct {
		name  string
		vhost bool
		line  string
		field string // "" for a malformed line
		err   error  // ErrMalformed or ErrIgnored when field is ""
	}{
		{name: "impossible date", line: `192.0.2.30 - - [31/Feb/2022:04:10:25 +0000] "GET / HTTP/1.1" 200 612 "-" "-"`, field: "time"},
		{name: "time without zone", line: `192.0.2.31 - - [03/Sep/2022:04:10:25] "GET / HTTP/1.1" 200 612 "-" "-"`, field: "time"},
		{name: "month not english", line: `192.0.2.31 - - [03/Mai/2022:04:10:25 +0000] "GET / HTTP/1.1" 200 612 "-" "-"`, field: "time"},
		{name: "time unterminated", line: `192.0.2.31 - - [03/Sep/2022:04:10:25 +0000 "GET / HTTP/1.1" 200 612 "-" "-"`, err: ErrMalformed},
		{name: "status not a number", line: `192.0.2.32 - - [03/Sep/2022:04:10:25 +0000] "GET / HTTP/1.1" 2x0 612 "-" "-"`, field: "status"},
		{name: "status too small", line: `192.0.2.33 - - [03/Sep/2022:04:10:25 +0000] "GET / HTTP/1.1" 99 612 "-" "-"`, field: "status"},
		{name: "status too large", line: `192.0.2.33 - - [03/Sep/2022:04:10:25 +0000] "GET / HTTP/1.1" 1000 612 "-" "-"`, field: "status"},
		{name: "bytes not a number", line: `192.0.2.34 - - [03/Sep/2022:04:10:25 +0000] "GET / HTTP/1.1" 200 6x2 "-" "-"`, field: "bytes"},
		{name: "bytes negative", line: `192.0.2.34 - - [03/Sep/2022:04:10:25 +0000] "GET / HTTP/1.1" 200 -5 "-" "-"`, field: "bytes"},
		{name: "bytes overflow", line: `192.0.2.34 - - [03/Sep/2022:04:10:25 +0000] "GET / HTTP/1.1" 200 9999999999999999999 "-" "-"`, field: "bytes"},
		{name: "request unterminated", line: `192.0.2.35 - - [03/Sep/2022:04:10:25 +0000] "GET / HTTP/1.1 200 612 -`, field: "request"},
		{name: "request closed by a later quote", line: `192.0.2.35 - - [03/Sep/2022:04:10:25 +0000] "GET / HTTP/1.1 200 612 "-" "-`, field: "status"},
		{name: "request unquoted", line: `192.0.2.36 - - [03/Sep/2022:04:10:25 +0000] GET / HTTP/1.1 200 612 "-" "-"`, err: ErrMalformed},
		{name: "referer without user agent", line: `192.0.2.37 - - [03/Sep/2022:04:10:25 +0000] "GET / HTTP/1.1" 200 612 "-"`, err: ErrMalformed},
		{name: "user agent unterminated", line: `46.118.127.106 - - [20/May/2015:12:05:17 +0000] "GET /x.py HTTP/1.1" 200 235 "-" "Mozilla/5.0 (compatible; Googlebot/2.1`, err: ErrMalformed},
		{name: "no bytes", line: `198.51.100.53 - - [01/Jul/1995:00:00:10 -0400] "GET /x HTTP/1.0" 200`, err: ErrMalformed},
		{name: "unquoted word after bytes", line: `198.51.100.54 - - [01/Jul/1995:00:00:11 -0400] "GET /x HTTP/1.0" 200 12 extra`, err: ErrMalformed},
		{name: "ident and user missing", line: `192.168.202.254 [20/Jul/2009:22:59:29 +0000] "GET /vmkboot.gz HTTP/1.0" 404 46210 "-" "gPXE/0.9.7"`, err: ErrMalformed},
		{name: "vhost line in combined", line: `www.crowdsec.net 1.2.3.4 - - [08/Jun/2020:08:04:43 +0000] "GET / HTTP/1.1" 500 803 "-" "-"`, err: ErrMalformed},
		{name: "time day one digit", line: `1.2.3.4 - - [8/Jun/2020:08:04:43 +0000] "GET / HTTP/1.1" 500 803 "-" "-"`, err: ErrMalformed},
		{name: "double space", line: `1.2.3.4  - - [08/Jun/2020:08:04:43 +0000] "GET / HTTP/1.1" 500 803 "-" "-"`, err: ErrMalformed},
		{name: "nginx error log", line: `2021/09/30 09:23:53 [error] 1925800#1925800: *17 open() "/x" failed`, err: ErrMalformed},
		{name: "apache error log", line: `[Thu Oct 13 12:24:49.880562 2022] [auth_basic:error] [pid 10:tid 1] [client 31.33.58.75:50229] AH01618: user sss not found: /`, err: ErrMalformed},
		{name: "json", line: `{"level":"info","ts":1693840791.7564995,"logger":"http.log.access"}`, err: ErrMalformed},
		{name: "client with a zone", line: `fe80::1%eth0 - - [03/Sep/2022:04:10:25 +0000] "GET / HTTP/1.1" 200 612 "-" "-"`, field: "client_ip"},
		{name: "client with a zone and a command", line: `fe80::1%x};flush;add - - [03/Sep/2022:04:10:25 +0000] "GET / HTTP/1.1" 200 612 "-" "-"`, field: "client_ip"},
		{name: "client bracketed with a zone", line: `[fe80::1%eth0] - - [03/Sep/2022:04:10:25 +0000] "GET / HTTP/1.1" 200 612 "-" "-"`, field: "client_ip"},
		{name: "client neither address nor name", line: `a;b - - [03/Sep/2022:04:10:25 +0000] "GET / HTTP/1.1" 200 612 "-" "-"`, field: "client_ip"},
		{name: "blank", line: ``, err: ErrIgnored},
		{name: "spaces and carriage return", line: "   \r", err: ErrIgnored},
		{name: "vhost too many fields", vhost: true, line: `a b c d e [09/Jun/2020:12:10:45 -0700] "GET / HTTP/1.1" 200 10 "-" "-"`, err: ErrMalformed},
		{name: "vhost status", vhost: true, line: `www.example.com:80 192.0.2.8 - - [09/Jun/2020:12:10:46 -0700] "GET / HTTP/1.1" 2000 10 "-" "-"`, field: "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := NewCombined()
			if tt.vhost {
				c = NewVhostCombined()
			}
			var ev Event
			err := c.Parse(b(tt.line), &ev)
			if err == nil {
				t.Fatalf("Parse(%q) = nil, want an error", tt.line)
			}
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Errorf("Parse(%q) = %v, want %v", tt.line, err, tt.err)
				}
				if tt.err == ErrIgnored {
					return
				}
			}
			var le *LineError
			if !errors.As(err, &le) {
				t.Fatalf("Parse(%q) = %T %v, want *LineError", tt.line, err, err)
			}
			if le.Field != tt.field {
				t.Errorf("Parse(%q).Field = %q, want %q (%v)", tt.line, le.Field, tt.field, err)
			}
		})
	}
}

// TestCombined_reuse parses lines into one Event and checks that nothing
// of an earlier line survives into a later one.
func TestCombined_reuse(t *testing.T) {
	c := NewCombined()
	var ev Event
	first := b(`172.17.0.1 - bob [08/Dec/2021:13:59:39 +0000] "GET /index?toto=tata HTTP/1.1" 200 352 "http://r/" "Nikto" 242 "test@docker" "http://172.17.0.3:80" 1ms`)
	if err := c.Parse(first, &ev); err != nil {
		t.Fatalf("Parse(%q) = %v", first, err)
	}
	if len(ev.Extra) != 3 {
		t.Fatalf("Parse(%q).Extra = %v, want remote_user, router and server_url", first, ev.Extra)
	}
	second := b(`76.72.172.0 - - [03/Sep/2022:02:43:16 +0000] "" 400 0 "-" "-"`)
	if err := c.Parse(second, &ev); err != nil {
		t.Fatalf("Parse(%q) = %v", second, err)
	}
	want := req("03/Sep/2022:02:43:16 +0000", client("76.72.172.0"), status(400), size(0))
	want.Extra = ev.Extra[:0:0] // an empty, non-nil Extra is what Reset leaves
	if diff := cmp.Diff(want, ev, ignoreRaw, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Parse after a Traefik line mismatch (-want +got):\n%s", diff)
	}
	// A failing line leaves no field of the line before.
	bad := b(`192.0.2.32 - - [03/Sep/2022:04:10:25 +0000] "GET / HTTP/1.1" 2x0 612 "-" "-"`)
	if err := c.Parse(bad, &ev); err == nil {
		t.Fatalf("Parse(%q) = nil, want an error", bad)
	}
	checkSubslices(t, bad, &ev)
}

func TestCombined_Decode(t *testing.T) {
	for _, tt := range []struct {
		name string
		dec  *Combined
		file string
	}{
		{"combined", NewCombined(), "testdata/nginx_combined.log"},
		{"vhost", NewVhostCombined(), vhostFile},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var ev Event
			parse := NewCombined()
			parse.vhost = tt.dec.vhost
			for _, line := range readLines(t, tt.file) {
				n := 0
				err := tt.dec.Decode(line, func(got *Event) {
					n++
					checkEvent(t, line, got)
				})
				wantErr := parse.Parse(line, &ev)
				wantN := 0
				if wantErr == nil {
					wantN = 1
				}
				if (err == nil) != (wantErr == nil) || n != wantN {
					t.Errorf("Decode(%q) = %v with %d events, want %v with %d", line, err, n, wantErr, wantN)
				}
			}
			tt.dec.Flush(func(*Event) { t.Error("Flush emitted an event") })
		})
	}
}

// TestCombined_longLine checks a line of about 1 MiB, the reader's cap.
func TestCombined_longLine(t *testing.T) {
	long := strings.Repeat("A", 1<<20)
	line := b(`192.0.2.1 - - [03/Sep/2022:04:10:25 +0000] "GET /` + long + ` HTTP/1.1" 200 1 "-" "` + long + `"`)
	var ev Event
	if err := NewCombined().Parse(line, &ev); err != nil {
		t.Fatalf("Parse(long line) = %v", err)
	}
	if got, want := len(ev.UserAgent), len(long); got != want {
		t.Errorf("len(UserAgent) = %d, want %d", got, want)
	}
	if got, want := len(ev.Path), len(long)+1; got != want {
		t.Errorf("len(Path) = %d, want %d", got, want)
	}
	// Many backslashes before a quote must stay linear and correct.
	line = b(`192.0.2.1 - - [03/Sep/2022:04:10:25 +0000] "GET / HTTP/1.1" 200 1 "-" "` + strings.Repeat(`\\`, 1<<18) + `"`)
	if err := NewCombined().Parse(line, &ev); err != nil {
		t.Fatalf("Parse(backslashes) = %v", err)
	}
}

func TestCombined_allocs(t *testing.T) {
	for _, tt := range []struct {
		name  string
		c     *Combined
		files []string
	}{
		{"combined", NewCombined(), combinedFiles},
		{"vhost", NewVhostCombined(), []string{vhostFile}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lines := goodLines(t, tt.c, tt.files...)
			var ev Event
			allocs := testing.AllocsPerRun(100, func() {
				for _, l := range lines {
					_ = tt.c.Parse(l, &ev)
				}
			})
			if allocs != 0 {
				t.Errorf("Parse allocates %v times per %d lines, want 0", allocs, len(lines))
			}
		})
	}
}

func FuzzCombined(f *testing.F) {
	fuzzCombined(f, NewCombined)
}

func FuzzVhostCombined(f *testing.F) {
	fuzzCombined(f, NewVhostCombined)
}

// fuzzCombined seeds f with every testdata log and checks the invariants
// of Parse, and that it reads every line as the general parse does. For
// the vhost parser it also checks that it accepts every line the plain
// parser accepts, with the same event.
func fuzzCombined(f *testing.F, newParser func() *Combined) {
	for _, file := range append(combinedFiles, vhostFile) {
		for _, l := range readLines(f, file) {
			f.Add(string(l))
		}
	}
	prev := b(`172.17.0.1 - bob [08/Dec/2021:13:59:39 +0000] "GET /i?t=t HTTP/1.1" 200 352 "http://r/" "Nikto" 242 "a@docker" "http://172.17.0.3:80" 1ms`)
	f.Fuzz(func(t *testing.T, s string) {
		line := []byte(s)
		c := newParser()
		var ev Event
		if err := c.Parse(prev, &ev); err != nil {
			t.Fatalf("Parse(%q) = %v", prev, err)
		}
		err := c.Parse(line, &ev)
		checkSubslices(t, line, &ev)
		checkSameAsParse(t, c, newParser(), line)
		if err != nil {
			var le *LineError
			if !errors.Is(err, ErrIgnored) && !errors.As(err, &le) {
				t.Fatalf("Parse(%q) = %T %v, want *LineError or ErrIgnored", line, err, err)
			}
			return
		}
		checkEvent(t, line, &ev)
		if c.vhost {
			var plain Event
			if NewCombined().Parse(line, &plain) == nil {
				if diff := cmp.Diff(plain, ev, cmpopts.EquateEmpty(), ignoreHint); diff != "" {
					t.Fatalf("vhost and plain Parse(%q) differ (-plain +vhost):\n%s", line, diff)
				}
			}
		}
	})
}

// checkEvent checks the invariants of an accepted line.
func checkEvent(tb testing.TB, line []byte, ev *Event) {
	tb.Helper()
	if ev.Kind != KindRequest {
		tb.Errorf("Parse(%q).Kind = %v, want request", line, ev.Kind)
	}
	if ev.Time.IsZero() || ev.Time.Location() != time.UTC {
		tb.Errorf("Parse(%q).Time = %v, want a UTC time", line, ev.Time)
	}
	if ev.Status != 0 && (ev.Status < 100 || ev.Status > 999) {
		tb.Errorf("Parse(%q).Status = %d, want 0 or 100..999", line, ev.Status)
	}
	if ev.Bytes < -1 || ev.Duration < -1 {
		tb.Errorf("Parse(%q): Bytes = %d, Duration = %v, want >= -1", line, ev.Bytes, ev.Duration)
	}
	checkClient(tb, string(line), ev) // nil only for a "-" client
	if (ev.Method == nil) != (ev.Path == nil) {
		tb.Errorf("Parse(%q): Method = %q, Path = %q, want both or neither", line, ev.Method, ev.Path)
	}
	if !sameSlice(ev.Raw, line) {
		tb.Errorf("Parse(%q).Raw is not the line", line)
	}
	checkSubslices(tb, line, ev)
}

// checkSubslices checks that every []byte of ev points into line.
func checkSubslices(tb testing.TB, line []byte, ev *Event) {
	tb.Helper()
	fields := map[string][]byte{
		"ClientIP": ev.ClientIP, "Host": ev.Host, "Method": ev.Method, "Path": ev.Path,
		"Query": ev.Query, "Protocol": ev.Protocol, "UserAgent": ev.UserAgent,
		"Referer": ev.Referer, "RequestID": ev.RequestID, "Level": ev.Level,
		"Message": ev.Message, "Raw": ev.Raw,
	}
	for _, f := range ev.Extra {
		fields["Extra."+f.Name] = f.Value
	}
	for name, v := range fields {
		if !within(line, v) {
			tb.Errorf("Parse(%q).%s = %q is not a subslice of the line", line, name, v)
		}
	}
}

// within reports whether v is nil or lies inside line.
func within(line, v []byte) bool {
	if v == nil {
		return true
	}
	lo := uintptr(unsafe.Pointer(unsafe.SliceData(line)))
	p := uintptr(unsafe.Pointer(unsafe.SliceData(v)))
	return lo <= p && p+uintptr(len(v)) <= lo+uintptr(len(line))
}

func sameSlice(a, b []byte) bool {
	return len(a) == len(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
}

// goodLines returns the lines of files that c accepts.
func goodLines(tb testing.TB, c *Combined, files ...string) [][]byte {
	tb.Helper()
	var ev Event
	var good [][]byte
	for _, file := range files {
		for _, l := range readLines(tb, file) {
			if c.Parse(l, &ev) == nil {
				good = append(good, l)
			}
		}
	}
	if len(good) == 0 {
		tb.Fatalf("no good lines in %v", files)
	}
	return good
}

func BenchmarkCombined(b *testing.B) {
	for _, file := range combinedFiles {
		b.Run(strings.TrimSuffix(strings.TrimPrefix(file, "testdata/"), ".log"), func(b *testing.B) {
			benchmarkParse(b, NewCombined(), file)
		})
	}
}

func BenchmarkVhostCombined(b *testing.B) {
	benchmarkParse(b, NewVhostCombined(), vhostFile)
}

// benchmarkParse parses the good lines of file, one line per op.
func benchmarkParse(b *testing.B, c *Combined, file string) {
	lines := goodLines(b, c, file)
	total := 0
	for _, l := range lines {
		total += len(l)
	}
	var ev Event
	b.SetBytes(int64(total / len(lines)))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if err := c.Parse(lines[n%len(lines)], &ev); err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "lines/s")
}

func ExampleCombined() {
	c := NewCombined()
	var ev Event
	line := []byte(`203.0.113.9 - - [10/Oct/2000:13:55:36 -0700] "POST /users/register?ref=x HTTP/1.1" 302 0 "-" "curl/8.1.2"`)
	if err := c.Parse(line, &ev); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Time, string(ev.ClientIP), string(ev.Method), string(ev.Path), string(ev.Query), ev.Status, ev.Bytes, ev.Referer == nil)
	// Output: 2000-10-10 20:55:36 +0000 UTC 203.0.113.9 POST /users/register ref=x 302 0 true
}

// TestCombined_parseUsual checks that Parse, which tries the hand-written
// parseUsual first, reads every line as the general parse does: the same
// event or the same error. The lines are built from the parts of the
// formats Combined reads, traps included (escaped and raw quotes, Traefik's
// bare -, vhosts, IPv6 and host-name clients, trailers, leading zeros,
// overlong numbers), then corrupted a byte or two at a time.
func TestCombined_parseUsual(t *testing.T) {
	// Each part of a line: the usual values, then traps. A part is one of
	// its usual values seven times in eight, so that about a quarter of
	// the lines take parseUsual's way before they are corrupted.
	parts := []struct{ usual, traps []string }{
		{[]string{""}, []string{"www.example.com:443 ", "[2001:db8::1]:80 ", "<134>Oct  3 04:10:25 web nginx: "}},
		{[]string{"192.0.2.1", "203.0.113.255", "0.0.0.0", "255.255.255.255", "10.1.2.3"},
			[]string{"01.2.3.4", "1.2.3.256", "1.2.3", "1.2.3.4.5", "2001:db8::1", "[2001:db8::1]:443", "::ffff:192.0.2.7",
				"192.0.2.1:8080", "host.example.com", "-", "a;b"}},
		{[]string{" - - "}, []string{" - bob ", " alice - ", " -  - ", " - "}},
		{[]string{"[10/Oct/2000:13:55:36 -0700]", "[03/Sep/2022:04:10:25 +0000]"},
			[]string{"[31/Feb/2022:04:10:25 +0000]", "[03/Sep/2022:04:10:25]", "[8/Jun/2020:08:04:43 +0000]", "[03/Mai/2022:04:10:25 +0000]"}},
		{[]string{` "GET /a?b=c HTTP/1.1"`, ` "GET / HTTP/1.1"`, ` "POST /users/register HTTP/2.0"`, ` ""`, ` "GET /x"`},
			[]string{` "\x16\x03\x01"`, ` "GET /a\"b HTTP/1.1"`, ` "GET /a b c HTTP/1.0"`, ` "CONNECT example.com:443 HTTP/1.1"`,
				` "-"`, ` "GET /\\" HTTP/1.1"`, ` "GET /a"b HTTP/1.1"`, ` "GET /a" HTTP/1.1"`, ` GET / HTTP/1.1`}},
		{[]string{" 200", " 404", " 301", " 100", " 999"}, []string{" 099", " 99", " 1000", " -", " 2x0", "  200", ""}},
		{[]string{" 612", " 0", " -", " 15817", " 999999999999999999"}, []string{" -5", " 9999999999999999999", " 6x2", "", "  12"}},
		{[]string{` "-" "-"`, ` "https://example.com/" "Mozilla/5.0 (X11; Linux x86_64)"`, ` - "curl/8.1.2"`, ` "-" -`, ` "" ""`, ``},
			[]string{` "-" "Mozilla \"quoted\" x"`, ` "-" "Mozilla "raw" x"`, ` "-" "a\\"`, ` "-" "`, ` "-"`, ` extra`}},
		{[]string{"", ` "192.0.2.9, 10.0.0.1"`, ` "-"`, ` 242 "router@docker" "http://172.17.0.3:80" 1ms`},
			[]string{` - "-" "-" 3ms`, ` x`, ` 12`}},
		{[]string{""}, []string{" ", "\r", " \r "}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	n := 20000
	if testing.Short() {
		n = 4000 // .ci/run's race pass (27 s of it with 20000): the full run is go test ./...'s
	}
	var lines []string
	for range n {
		var sb strings.Builder
		for _, p := range parts {
			if vs := p.usual; rng.IntN(8) < 7 {
				sb.WriteString(vs[rng.IntN(len(vs))])
			} else {
				vs = p.traps
				sb.WriteString(vs[rng.IntN(len(vs))])
			}
		}
		lines = append(lines, sb.String())
	}
	for _, file := range append(combinedFiles, vhostFile) {
		for _, l := range readLines(t, file) {
			lines = append(lines, string(l))
		}
	}
	const junk = ` "-.[]/\0123456789:aZ` + "\r"
	for _, l := range lines[:len(lines):len(lines)] {
		for range 3 {
			c := []byte(l)
			for range 1 + rng.IntN(2) {
				if len(c) == 0 {
					break
				}
				i := rng.IntN(len(c))
				switch rng.IntN(4) {
				case 0:
					c = append(c[:i], c[i+1:]...)
				case 1:
					c = append(c[:i], append([]byte{junk[rng.IntN(len(junk))]}, c[i:]...)...)
				case 2:
					c[i] = junk[rng.IntN(len(junk))]
				default:
					c = c[:i]
				}
			}
			lines = append(lines, string(c))
		}
	}
	usual := 0
	for _, newParser := range []func() *Combined{NewCombined, NewVhostCombined} {
		c, ref := newParser(), newParser()
		for _, l := range lines {
			line := []byte(l)
			var probe Event
			if c.parseUsual(line, &probe) {
				usual++
				if probe.ClientNet24() == 0 {
					t.Errorf("parseUsual(%q) gives no ClientNet24", line)
				}
			}
			checkSameAsParse(t, c, ref, line)
		}
	}
	// The generated lines are mostly of the usual shape; if parseUsual took
	// none of them, Parse would be correct but slow.
	if usual < len(lines)/10 {
		t.Errorf("parseUsual accepted %d of %d lines", usual, 2*len(lines))
	}
}

// checkSameAsParse checks that c.Parse reads line as ref.parse, the
// general reader, does: the same error, or the same event.
func checkSameAsParse(tb testing.TB, c, ref *Combined, line []byte) {
	tb.Helper()
	var got, want Event
	err := c.Parse(line, &got)
	want.Reset()
	want.Kind, want.Raw = KindRequest, line
	wantErr := ref.parse(line, &want)
	if fmt.Sprint(err) != fmt.Sprint(wantErr) || fmt.Sprintf("%T", err) != fmt.Sprintf("%T", wantErr) {
		tb.Fatalf("Parse(%q) = %v, parse says %v", line, err, wantErr)
	}
	if err != nil {
		return
	}
	checkClientNet24(tb, line, &got)
	if reflect.DeepEqual(want, got) {
		return
	}
	if diff := cmp.Diff(want, got, ignoreHint); diff != "" {
		tb.Fatalf("Parse(%q) differs from parse (-parse +Parse):\n%s", line, diff)
	}
}

// checkClientNet24 checks that what a parser says of ev's client address
// for the detector holds: the address is a dotted quad as net/netip prints
// it, cut after its third octet; and that it holds only for the slice it
// was said of.
func checkClientNet24(tb testing.TB, line []byte, ev *Event) {
	tb.Helper()
	n := ev.ClientNet24()
	if n == 0 {
		return
	}
	ip := string(ev.ClientIP)
	if a, err := netip.ParseAddr(ip); err != nil || !a.Is4() || a.String() != ip || n != strings.LastIndexByte(ip, '.') {
		tb.Fatalf("Parse(%q): ClientNet24 %d of client %q", line, n, ip)
	}
	copied := *ev
	copied.ClientIP = []byte(ip)
	if copied.ClientNet24() != 0 {
		tb.Fatalf("Parse(%q): ClientNet24 holds for a copy of the client address", line)
	}
	// Moved to a copy, it holds for the copy; moved to other bytes, not.
	moved := *ev
	if moved.MoveClientIP([]byte(ip)); moved.ClientNet24() != n {
		tb.Fatalf("Parse(%q): ClientNet24 after MoveClientIP = %d, want %d", line, moved.ClientNet24(), n)
	}
	other := *ev
	if other.MoveClientIP([]byte(ip + "9")); other.ClientNet24() != 0 {
		tb.Fatalf("Parse(%q): ClientNet24 holds for other bytes", line)
	}
}

// TestEvent_splitRequest checks the method splitRequest finds by scanning
// its bytes: the text before the first space, when isMethod takes it and a
// target follows.
func TestEvent_splitRequest(t *testing.T) {
	for _, tt := range []struct{ req, method string }{
		{"GET / HTTP/1.1", "GET"},
		{"get /x", "get"},
		{"M-SEARCH * HTTP/1.1", "M-SEARCH"},
		{"A_B-9 /x?y", "A_B-9"},
		{strings.Repeat("A", 32) + " /", strings.Repeat("A", 32)},
		{"GET  / HTTP/1.1", "GET"}, // the target is " /"
		{strings.Repeat("A", 33) + " /", ""},
		{strings.Repeat("A", 31) + "é /", ""},
		{"145.ll|'|'|SGFjS2VkX0Q0OTkwNjI3|'|'|WIN / HTTP/1.1", ""},
		{"\x16\x03\x01 x", ""},
		{"GET\t/ HTTP/1.1", ""},
		{"GET", ""},
		{"GET ", ""},
		{" / HTTP/1.1", ""},
		{" ", ""},
		{"", ""},
	} {
		var ev Event
		ev.splitRequest(b(tt.req))
		if string(ev.Method) != tt.method || (ev.Method == nil) != (tt.method == "") {
			t.Errorf("splitRequest(%q).Method = %q, want %q", tt.req, ev.Method, tt.method)
		}
	}
}
