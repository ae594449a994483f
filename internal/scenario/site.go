package scenario

import (
	"fmt"
	"strconv"
)

// The web site of the matrix is the one samples/ shows (see
// internal/cmd/samplegen): "Tallybook", invoicing for freelancers and
// small agencies, at www.example.com, with a marketing site, a blog,
// docs, a public gallery of invoice templates, the signed-in app, and a
// JSON API for its mobile app. Its forms follow the framework it runs on
// (see [Framework]).
const siteURL = "https://www.example.com"

// asset is a digested static file. nginx serves them from disk (so they
// are not in an app's own log, and stay up during a deploy).
type asset struct {
	path  string
	bytes int
}

// page is one HTML page of the site.
type page struct {
	path   string
	bytes  int      // typical body size; views vary by a few bytes
	images []asset  // page-specific images, fetched after the HTML
	links  []string // where a reader goes next
}

// siteAssets are the files every page links. A browser with a cold cache
// fetches them all; fonts are requested by the stylesheet.
type siteAssets struct {
	css, js, logo, favicon asset
	fonts                  []asset
}

func img(name string, bytes int) asset {
	return asset{"/images/" + name + "-" + digest(name) + ".webp", bytes}
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

var marketing = []string{"/", "/pricing", "/features", "/customers", "/about", "/blog", "/docs", "/changelog", "/security", "/templates"}

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

// templateCount is how many public invoice templates the gallery shows
// (/templates/1 … /templates/2400): the pages a scraper wants.
const templateCount = 2400

// catalogue is the site's pages, built once.
type catalogue struct {
	assets siteAssets
	pages  map[string]*page
}

func newCatalogue(f *Framework) *catalogue {
	c := &catalogue{pages: map[string]*page{}}
	c.assets = siteAssets{
		css:     asset{"/assets/app-3f9c1d7e0b2a48e6a1c5d9f2e7b4a6c8.css", 41873},
		js:      asset{"/assets/app-8a2e6f4c1b9d7e3a5c0f2b8d4e6a1c9f.js", 168220},
		logo:    asset{"/images/logo-b7e1c3a9d5f2e8b4a6c0d9e1f3a7b5c2.svg", 2914},
		favicon: asset{"/favicon-91a3c5e7b9d1f3a5c7e9b1d3f5a7c9e1.ico", 1150},
		fonts: []asset{
			{"/fonts/inter-var-latin-4c2e8a6f0b1d3e5a7c9f1b3d5e7a9c1b.woff2", 48256},
			{"/fonts/inter-var-latin-ext-e6a4c2b0d8f6e4a2c0b8d6f4e2a0c8b6.woff2", 31744},
		},
	}
	if f.Rails {
		// Propshaft digests: application-<8 hex>.css.
		c.assets.css = asset{"/assets/application-ca02b7e1.css", 44120}
		c.assets.js = asset{"/assets/application-3d9f20c4.js", 171302}
	}
	add := func(p *page) { c.pages[p.path] = p }
	add(&page{"/", 18412, []asset{img("hero", 86412), img("screenshot-invoices", 64210), img("screenshot-reports", 58733),
		img("customer-acme", 4112), img("customer-northwind", 3890), img("customer-globex", 4470), img("customer-initech", 3702), img("testimonial-maria", 9851)},
		[]string{"/pricing", "/features", "/customers", "/blog", f.RegisterForm, f.LoginForm, "/docs", "/templates"}})
	add(&page{"/pricing", 14210, []asset{img("pricing-check", 612), img("pricing-guarantee", 7441)},
		[]string{f.RegisterForm, "/features", "/docs/faq", "/security", "/"}})
	add(&page{"/features", 16988, []asset{img("feature-recurring", 42310), img("feature-reminders", 38764), img("feature-reports", 51020)},
		[]string{"/pricing", f.RegisterForm, "/customers", "/docs/getting-started"}})
	add(&page{"/customers", 13120, []asset{img("customer-acme", 4112), img("customer-northwind", 3890), img("case-study-lena", 29410)},
		[]string{"/pricing", "/features", "/"}})
	add(&page{"/about", 9876, []asset{img("team", 74502)}, []string{"/blog", "/", "/pricing"}})
	add(&page{"/security", 11204, nil, []string{"/pricing", "/docs/faq"}})
	add(&page{"/changelog", 22650, nil, []string{"/blog", "/docs", "/"}})
	add(&page{"/blog", 15560, nil, blogPosts})
	add(&page{"/docs", 10312, nil, docsPages})
	add(&page{"/templates", 20544, []asset{img("templates-grid", 38220)}, []string{"/templates/:id", "/templates/:id", "/pricing", f.RegisterForm}})
	add(&page{"/templates/:id", 9120, []asset{img("template-preview", 24000)}, []string{"/templates/:id", "/templates", f.RegisterForm}})
	for i, p := range blogPosts {
		add(&page{p, 21000 + 1733*i%9000, []asset{img("blog-cover-"+strconv.Itoa(i+1), 31000+4111*i%40000)}, []string{"/blog", "/pricing", "/", blogPosts[(i+3)%len(blogPosts)]}})
	}
	for i, p := range docsPages {
		var imgs []asset
		if i%2 == 0 {
			imgs = []asset{img("docs-"+p[len("/docs/"):], 18000+2917*i)}
		}
		add(&page{p, 12500 + 2281*i%7000, imgs, append([]string{"/docs"}, docsPages[(i+1)%len(docsPages)], docsPages[(i+4)%len(docsPages)])})
	}
	add(&page{f.RegisterForm, 6214, nil, nil})
	add(&page{f.LoginForm, 5133, nil, nil})
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
	return c
}

// page returns the page served at path (ids in the path map to one page),
// or nil.
func (c *catalogue) page(path string) *page {
	if p, ok := c.pages[path]; ok {
		return p
	}
	for _, pre := range []string{"/invoices/", "/templates/"} {
		if len(path) > len(pre) && path[:len(pre)] == pre {
			return c.pages[pre+":id"]
		}
	}
	return nil
}

// Framework is what the site runs on, as far as its log shows: the paths
// and answers of its sign-up and log-in forms.
type Framework struct {
	Name         string
	RegisterForm string // GET: the sign-up form
	RegisterPost string // POST: create the account
	LoginForm    string
	LoginPost    string
	// Success is the status of a successful form post (a redirect);
	// FormError the status of a form re-rendered with an error.
	Success, FormError int
	Rails              bool
}

// Phoenix is an app generated with `mix phx.gen.auth --no-live`: a
// successful post redirects with 302, a failed one re-renders the form
// with 200 (the frameworks' defaults; traffic-shapes "log-in posts").
var Phoenix = Framework{Name: "phoenix", RegisterForm: "/users/register", RegisterPost: "/users/register",
	LoginForm: "/users/log_in", LoginPost: "/users/log_in", Success: 302, FormError: 200}

// Rails is a Rails 8 app with Devise 4.9 and Turbo: sign-up is POST /users,
// a success redirects with 303 and a failure re-renders with 422 (Devise's
// generated initializer sets error_status :unprocessable_entity and
// redirect_status :see_other).
var Rails = Framework{Name: "rails", RegisterForm: "/users/sign_up", RegisterPost: "/users",
	LoginForm: "/users/sign_in", LoginPost: "/users/sign_in", Success: 303, FormError: 422, Rails: true}

// Response sizes. These, the user agents and referers below, and the
// small helpers Pick, Weighted, PublicNet16, RequestID and PhoenixDuration
// are exported for samplegen, whose samples draw from the same figures.
const (
	RegisterErrorBytes = 6891 // registration form re-rendered with errors
	LoginErrorBytes    = 5342 // log-in form re-rendered with "Invalid email or password"
	NotFoundBytes      = 9    // Phoenix's default "Not Found"
)

// RedirectBytes is the body of Phoenix.Controller.redirect/2 to loc.
func RedirectBytes(loc string) int {
	return len(`<html><body>You are being <a href="`) + len(loc) + len(`">redirected</a>.</body></html>`)
}

// Browsers of ordinary visitors, with weights, as of late 2026.
var VisitorUAs = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/155.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/155.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/27.1 Safari/605.1.15",
	"Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/27.1 Mobile/15E148 Safari/604.1",
	"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/155.0.0.0 Mobile Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:157.0) Gecko/20100101 Firefox/157.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/155.0.0.0 Safari/537.36 Edg/155.0.0.0",
	"Mozilla/5.0 (X11; Linux x86_64; rv:157.0) Gecko/20100101 Firefox/157.0",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/154.0.0.0 Safari/537.36",
}
var VisitorUAWeights = []float64{30, 14, 10, 14, 9, 7, 8, 3, 5}

// iPhoneUA is the index of the iPhone's Safari in visitorUAs: Safari asks
// for /apple-touch-icon.png, which the site does not have (a 404).
const iPhoneUA = 3

// Where visitors come from when they land.
var EntryReferers = []string{"-", "https://www.google.com/", "https://duckduckgo.com/", "https://www.bing.com/", "https://news.ycombinator.com/", "https://www.reddit.com/", "https://t.co/"}
var EntryRefererWeights = []float64{38, 42, 6, 5, 2, 4, 3}

// Bots that attack forms use a few current desktop browser strings.
var BotUAs = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/155.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/154.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/155.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:157.0) Gecko/20100101 Firefox/157.0",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/155.0.0.0 Safari/537.36",
}

// Mobile apps identify themselves.
var appUAs = []string{
	"Tallybook/4.12.0 (com.example.tallybook; build:4120; iOS 18.7.2) Alamofire/5.10.2",
	"Tallybook/4.12.0 (com.example.tallybook; build:4120; iOS 26.1) Alamofire/5.10.2",
	"Tallybook/4.12.0 (Android 15; Pixel 8; build 4120) okhttp/4.12.0",
	"Tallybook/4.11.3 (Android 14; SM-S921B; build 4113) okhttp/4.12.0",
}

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
}
var ScanUAs = []string{
	"Mozilla/5.0 zgrab/0.x",
	"python-requests/2.32.4",
	"Go-http-client/1.1",
	"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
}
