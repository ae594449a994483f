package main

import "fmt"

// The site is a small Phoenix SaaS ("Tallybook", invoicing for freelancers)
// generated with phx.gen.auth in controller mode: sign-up is
// POST /users/register, log-in POST /users/log_in, and both redirect to
// /dashboard when they succeed.
const siteURL = "https://www.example.com"

// asset is a digested static file served by Plug.Static.
type asset struct {
	path  string
	bytes int
}

// The assets every page links. A browser with a cold cache fetches all of
// them; fonts are requested by the stylesheet, so their referer is the CSS.
var (
	cssAsset   = asset{"/assets/app-3f9c1d7e0b2a48e6a1c5d9f2e7b4a6c8.css", 41873}
	jsAsset    = asset{"/assets/app-8a2e6f4c1b9d7e3a5c0f2b8d4e6a1c9f.js", 168220}
	logoAsset  = asset{"/images/logo-b7e1c3a9d5f2e8b4a6c0d9e1f3a7b5c2.svg", 2914}
	favicon    = asset{"/favicon-91a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1.ico", 1150}
	fontAssets = []asset{
		{"/fonts/inter-var-latin-4c2e8a6f0b1d3e5a7c9f1b3d5e7a9c1b.woff2", 48256},
		{"/fonts/inter-var-latin-ext-e6a4c2b0d8f6e4a2c0b8d6f4e2a0c8b6.woff2", 31744},
	}
)

// page is one HTML page of the site.
type page struct {
	path   string
	bytes  int      // typical body size; views vary by a few bytes
	images []asset  // page-specific images, fetched after the HTML
	links  []string // where a reader goes next
}

func img(name string, bytes int) asset {
	return asset{fmt.Sprintf("/images/%s-%s.webp", name, digest(name)), bytes}
}

// digest makes a stable 32-hex-digit phx.digest-style fingerprint.
func digest(name string) string {
	var h uint64 = 1469598103934665603
	for _, c := range []byte(name) {
		h ^= uint64(c)
		h *= 1099511628211
	}
	return fmt.Sprintf("%016x%016x", h, h*0x9e3779b97f4a7c15)
}

var marketing = []string{"/", "/pricing", "/features", "/customers", "/about", "/blog", "/docs", "/changelog", "/security"}

var blogPosts = []string{
	"/blog/late-invoices-cost-more-than-you-think",
	"/blog/how-we-moved-to-phoenix-1-8",
	"/blog/recurring-invoices-are-here",
	"/blog/vat-rules-for-eu-freelancers-2026",
	"/blog/getting-paid-in-30-days",
	"/blog/stripe-payouts-explained",
	"/blog/our-pricing-changes",
	"/blog/five-invoice-templates",
	"/blog/time-tracking-without-the-guilt",
	"/blog/year-in-review-2025",
}

var docsPages = []string{
	"/docs/getting-started", "/docs/import-csv", "/docs/invoice-templates",
	"/docs/api", "/docs/webhooks", "/docs/billing", "/docs/faq",
}

var appPages = []string{"/dashboard", "/invoices", "/invoices/new", "/clients", "/reports", "/users/settings"}

// pages maps each path to its page. Paths with ids (/invoices/1043) are
// made on the fly by pageFor.
var pages = map[string]*page{}

func init() {
	add := func(p *page) { pages[p.path] = p }
	add(&page{"/", 18412, []asset{img("hero", 86412), img("screenshot-invoices", 64210), img("screenshot-reports", 58733),
		img("customer-acme", 4112), img("customer-northwind", 3890), img("customer-globex", 4470), img("customer-initech", 3702), img("testimonial-maria", 9851)},
		[]string{"/pricing", "/features", "/customers", "/blog", "/users/register", "/users/log_in", "/docs"}})
	add(&page{"/pricing", 14210, []asset{img("pricing-check", 612), img("pricing-guarantee", 7441)},
		[]string{"/users/register", "/features", "/docs/faq", "/security", "/"}})
	add(&page{"/features", 16988, []asset{img("feature-recurring", 42310), img("feature-reminders", 38764), img("feature-reports", 51020)},
		[]string{"/pricing", "/users/register", "/customers", "/docs/getting-started"}})
	add(&page{"/customers", 13120, []asset{img("customer-acme", 4112), img("customer-northwind", 3890), img("case-study-lena", 29410)},
		[]string{"/pricing", "/features", "/"}})
	add(&page{"/about", 9876, []asset{img("team", 74502)}, []string{"/blog", "/", "/pricing"}})
	add(&page{"/security", 11204, nil, []string{"/pricing", "/docs/faq"}})
	add(&page{"/changelog", 22650, nil, []string{"/blog", "/docs", "/"}})
	add(&page{"/blog", 15560, nil, blogPosts})
	add(&page{"/docs", 10312, nil, docsPages})
	for i, p := range blogPosts {
		add(&page{p, 21000 + 1733*i%9000, []asset{img("blog-cover-"+fmt.Sprint(i+1), 31000+4111*i%40000)}, []string{"/blog", "/pricing", "/", blogPosts[(i+3)%len(blogPosts)]}})
	}
	for i, p := range docsPages {
		var imgs []asset
		if i%2 == 0 {
			imgs = []asset{img("docs-"+p[len("/docs/"):], 18000+2917*i)}
		}
		add(&page{p, 12500 + 2281*i%7000, imgs, append([]string{"/docs"}, docsPages[(i+1)%len(docsPages)], docsPages[(i+4)%len(docsPages)])})
	}
	add(&page{"/users/register", 6214, nil, nil})
	add(&page{"/users/log_in", 5133, nil, nil})
	add(&page{"/users/reset_password", 4702, nil, nil})
	add(&page{"/terms", 28761, nil, []string{"/"}})
	add(&page{"/privacy", 24418, nil, []string{"/"}})
	add(&page{"/dashboard", 24930, []asset{img("empty-state", 12044)}, appPages})
	add(&page{"/invoices", 31202, nil, appPages})
	add(&page{"/invoices/new", 19877, nil, []string{"/invoices", "/dashboard"}})
	add(&page{"/clients", 17654, nil, appPages})
	add(&page{"/reports", 22118, []asset{img("chart-placeholder", 2210)}, appPages})
	add(&page{"/users/settings", 11967, nil, []string{"/dashboard"}})
	add(&page{"/invoices/:id", 14320, nil, []string{"/invoices", "/dashboard", "/clients"}})
}

// Crawlers and other well-behaved machines.
var (
	googlebot = crawler{
		ips: []string{"66.249.66.33", "66.249.66.71", "66.249.68.5", "66.249.68.37", "66.249.79.102", "66.249.79.140"},
		uas: []string{
			"Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/155.0.7812.86 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
			"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; +http://www.google.com/bot.html) Chrome/155.0.7812.86 Safari/537.36",
		},
		uaWeights: []float64{35, 50, 15},
	}
	bingbot = crawler{
		ips:       []string{"40.77.167.21", "40.77.167.58", "207.46.13.93", "157.55.39.12"},
		uas:       []string{"Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/154.0.0.0 Safari/537.36"},
		uaWeights: []float64{1},
	}
	uptimeRobot = poller{ip: "69.162.124.231", ua: "Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", method: "HEAD", path: "/"}
	feedPollers = []poller{
		{ip: "52.14.183.20", ua: "Feedly/1.0 (+https://feedly.com/poller.html; 14 subscribers; )", method: "GET", path: "/blog/feed.xml"},
		{ip: "94.130.52.187", ua: "Tiny Tiny RSS/25.09 (https://tt-rss.org/)", method: "GET", path: "/blog/feed.xml"},
		{ip: "45.33.101.40", ua: "NewsBlur Feed Fetcher - 3 subscribers - https://www.newsblur.com/site/7829301/tallybook-blog", method: "GET", path: "/blog/feed.xml"},
		{ip: "185.99.71.12", ua: "Inoreader/1.0 (+http://www.inoreader.com/feed-fetcher; 2 subscribers; )", method: "GET", path: "/blog/feed.xml"},
	}
)

// feedBytes is the size of /blog/feed.xml.
const feedBytes = 48712

// Paths a vulnerability scanner tries, with the user agents scanners use.
var scanPaths = []string{
	"/.env", "/.git/config", "/wp-login.php", "/xmlrpc.php", "/wp-admin/setup-config.php",
	"/wp-includes/wlwmanifest.xml", "/blog/wp-includes/wlwmanifest.xml", "/phpmyadmin/", "/pma/",
	"/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/actuator/health", "/actuator/gateway/routes",
	"/owa/auth/logon.aspx", "/config.json", "/.aws/credentials", "/server-status", "/admin/.env",
	"/backup.zip", "/db.sql", "/.DS_Store", "/cgi-bin/luci/;stok=/locale", "/boaform/admin/formLogin",
	"/HNAP1/", "/api/.env", "/laravel/.env", "/app/.env", "/.git/HEAD", "/wp-content/plugins/wp-file-manager/readme.txt",
	"/solr/admin/info/system?wt=json", "/console/", "/telescope/requests", "/_ignition/execute-solution",
	"/.vscode/sftp.json", "/info.php", "/phpinfo.php", "/test.php", "/sftp-config.json", "/.svn/wc.db",
	"/autodiscover/autodiscover.json?@zdi/Powershell", "/geoserver/web/", "/remote/login", "/webui/",
	"/ecp/Current/exporttool/microsoft.exchange.ediscovery.exporttool.application", "/.well-known/security.txt",
}
