package detector

import (
	"fmt"
	"hash/maphash"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/parsers"
)

// Notice is something the engine learned about the log that a person
// should know once: rules that cannot work on it, a proxy in front. It is
// not an alert: nothing is wrong with the site.
type Notice struct {
	Time time.Time
	// Kind is "missing-field", "proxy" or "late".
	Kind string
	// Field is the field the notice is about ("client_ip").
	Field string
	// Rules are the rules it concerns.
	Rules []string
	// Text says what was seen and what to do, for people.
	Text string
}

// noticeAfter is how many request events the engine looks at before it
// says that a field is missing from the log.
const noticeAfter = 200

// fieldWatch watches whether the events carry a field some rules key on.
type fieldWatch struct {
	field   Field
	rules   []string
	seen    uint64 // request events looked at
	decided bool   // present once, or noticed missing
}

// proxyPeriod is the stretch of event time over which the busiest
// client's share of requests is measured; proxyShare and proxyMin say
// when it is a proxy: nearly every request of a busy stretch, relaying
// at least proxyAgents different browsers (a scraper or a flood that
// drowns a small site's traffic is one program).
const (
	proxyPeriod = 5 * time.Minute
	proxyShare  = 0.9
	proxyMin    = 300
	proxyAgents = 5
	proxySample = 8
	// proxyEarly is how many sampled requests the log's first stretch
	// needs for an early verdict: 800 requests, about 3 s at 300 req/s,
	// before a per-client rule's warm-up limit of 20/s over a minute
	// (1,200 requests) is passed.
	proxyEarly = 100
	// proxyLead is the sampled requests after which the busiest client
	// is the stretch's lead, whose user agents are counted.
	proxyLead = 100
	// A stretch after one of fewer than proxyLead*proxySample requests
	// (a small site: under 2.7 req/s) looks at every request, and needs
	// proxySmallMin of them (0.2 req/s), the lead known after
	// proxySmallLead.
	proxySmallMin  = 60
	proxySmallLead = 30
)

// proxyWatch measures the busiest client's share of requests over each
// proxyPeriod, and how many user agents the leading one sends.
type proxyWatch struct {
	period int64 // current period number
	events uint64
	top    *SpaceSaving
	seen   uint64            // requests with a client address, for the sampling
	raw    uint64            // requests with a client address in this period
	step   uint64            // this period looks at one request in step
	lead   []byte            // the busiest client after the period's first 100 sampled requests
	agents []uint64          // hashes of its user agents, up to proxyAgents
	agent  bool              // one of its requests carried a user agent
	cdn    [len(cdns)]uint64 // sampled requests from each CDN's edges (cdns)
	done   bool
	rules  []string
	// first: the period began within proxyPeriod of the log's first
	// request (start), and the verdict may come before its end; from is
	// the period's first request's time.
	first       bool
	start, from time.Time
}

// A late notice is given once lateNoticeMin events came late within
// lateNoticePeriod of event time, at least one in lateNoticeShare of the
// events since the first of them: a stretch, not the whole log, so that a
// daemon's month of ordinary lines does not drown a hanging backend's
// minute of late ones.
const (
	lateNoticeMin    = 20
	lateNoticeShare  = 100
	lateNoticePeriod = time.Minute
)

// lateWatch counts the late events of the current stretch.
type lateWatch struct {
	from   int64  // the stretch's start, event time in ns
	events uint64 // the engine's events before it
	late   uint64 // late events in it
	begun  bool   // a stretch began
	done   bool
}

// notices watches the log for what the engine should say once.
type notices struct {
	lateWatch lateWatch
	fields    []*fieldWatch
	proxy     *proxyWatch // nil when no rule keys on client_ip
	// front is what stands in front once the proxy notice is given (a
	// proxy's address, or a CDN's edges): per-client rules with a
	// learned normal leave it out.
	front frontKeys
	emit  func(Notice)
	all   []Notice
}

func newNotices(rules []*ruleState, emit func(Notice)) *notices {
	n := &notices{emit: emit}
	byField := map[string]*fieldWatch{}
	use := func(f *Field, rule string) {
		if f == nil || f.Name == "" {
			return
		}
		w := byField[f.Name]
		if w == nil {
			w = &fieldWatch{field: *f}
			byField[f.Name] = w
			n.fields = append(n.fields, w)
		}
		if !slices.Contains(w.rules, rule) {
			w.rules = append(w.rules, rule)
		}
	}
	for _, r := range rules {
		use(r.rule.GroupBy, r.rule.Name)
		use(r.rule.Field, r.rule.Name)
		use(r.rule.DistinctOf, r.rule.Name)
		use(r.rule.BeyondBusiest, r.rule.Name)
	}
	if w := byField["client_ip"]; w != nil {
		n.proxy = &proxyWatch{top: NewSpaceSaving(16), rules: slices.Clone(w.rules), period: math.MinInt64, step: proxySample}
		// A per-client rule that learns each client's normal leaves the
		// proxy out once it is known: it is no client. A per-network one
		// leaves out the CDN's networks in front (a proxy's address is
		// its network's busiest, which network-flood leaves out already):
		// a CDN's edges carry every visitor's requests, and a dozen of
		// them in one /24 are no scraper rotating its addresses.
		for _, r := range rules {
			k, ok := r.k.(perKeyLearned)
			if !ok || r.rule.GroupBy == nil {
				continue
			}
			switch r.rule.GroupBy.Name {
			case "client_ip":
				k.norms.front = &n.front
			case "client_net":
				k.norms.front, k.norms.frontNets = &n.front, true
			}
		}
	}
	if ip, net := byField["client_ip"], byField["client_net"]; ip != nil && net != nil {
		// The network is the address's: missing together, said once, in
		// the address's notice, naming the network rules too.
		for _, r := range net.rules {
			if !slices.Contains(ip.rules, r) {
				ip.rules = append(ip.rules, r)
			}
		}
		n.fields = slices.DeleteFunc(n.fields, func(w *fieldWatch) bool { return w == net })
	}
	return n
}

// observe looks at one counted event.
func (n *notices) observe(ev *Event) {
	if ev.Kind != parsers.KindRequest { // app messages often carry no client
		return
	}
	for _, w := range n.fields {
		if w.decided {
			continue
		}
		if w.field.get(ev) != nil {
			w.decided = true
			continue
		}
		if w.seen++; w.seen >= noticeAfter {
			w.decided = true
			n.add(missingField(w, ev.Time))
		}
	}
	if p := n.proxy; p != nil && !p.done {
		p.observe(ev, n)
	}
}

func (p *proxyWatch) observe(ev *Event, n *notices) {
	period := floorDiv(ev.ns, int64(proxyPeriod))
	if period != p.period {
		if p.verdict(ev.Time, n) {
			return
		}
		if p.period == math.MinInt64 {
			p.start = ev.Time
		}
		// Periods are aligned on the clock: the log's first may last a
		// few seconds, and the one after it is early still.
		p.first, p.from = ev.Time.Sub(p.start) < proxyPeriod, ev.Time
		// One request in proxySample is enough to measure a share of 90%
		// on a busy site; a small one's (after a stretch of it) needs
		// every request.
		p.step = proxySample
		if p.period != math.MinInt64 && p.raw < proxyLead*proxySample {
			p.step = 1
		}
		p.period, p.events, p.raw, p.lead, p.agents, p.agent, p.cdn = period, 0, 0, p.lead[:0], p.agents[:0], false, [len(cdns)]uint64{}
		p.top.Reset()
	}
	ip := ev.ClientIP
	if len(ip) == 0 {
		return
	}
	p.raw++
	if p.seen++; p.seen%p.step != 0 {
		return
	}
	p.events++
	if addr, ok := ev.clientAddr(); ok {
		if i := cdnOf(addr); i >= 0 {
			p.cdn[i]++
		}
	}
	p.top.addHashed(ip, uint32(ev.clientIPHash()))
	if p.events == p.leadAt() {
		if top := p.top.Top(1); len(top) > 0 {
			p.lead = append(p.lead[:0], top[0].Key...)
		}
	}
	if len(p.lead) > 0 && len(p.agents) < proxyAgents && string(ip) == string(p.lead) {
		p.agent = p.agent || len(ev.UserAgent) > 0
		h := maphash.Bytes(proxySeed, ev.UserAgent)
		if !slices.Contains(p.agents, h) {
			p.agents = append(p.agents, h)
		}
	}
	// In the log's first stretch the verdict comes as soon as it can: a
	// proxy in front of a busy site passes a per-client rule's warm-up
	// limit within seconds, and the rule should know it is no client
	// before. Later, only a whole stretch of it is a proxy, so that a
	// program that takes over a small site's traffic is not one.
	if p.first && p.events >= proxyEarly && p.events%16 == 0 {
		p.verdict(ev.Time, n)
	}
}

// cdnInFront returns the index in cdns of the CDN whose edges sent
// proxyShare of the period's sampled requests; -1 for none.
func (p *proxyWatch) cdnInFront() int {
	for i, n := range p.cdn {
		if p.events > 0 && float64(n) >= proxyShare*float64(p.events) {
			return i
		}
	}
	return -1
}

// verdict gives the proxy notice, and reports whether it did, when the
// stretch so far makes the leading address a proxy.
func (p *proxyWatch) verdict(at time.Time, n *notices) bool {
	// A proxy relays many user agents; in a log without them (an app's
	// own: Rails' "Started … for 127.0.0.1") one on the machine or on a
	// private network is known by its address, which no client on the
	// internet has.
	relays := len(p.agents) >= proxyAgents || !p.agent && parsers.IsProxyAddr(p.lead)
	least := uint64(proxyMin / proxySample)
	if p.step == 1 {
		least = proxySmallMin
	}
	if c := p.cdnInFront(); p.events >= least && c >= 0 {
		// A CDN's edges, a few dozen addresses, carry the traffic.
		p.done, n.front.cdn = true, &cdns[c]
		over, name := p.over(at), cdns[c].name
		n.add(Notice{Time: at, Kind: "proxy", Field: "client_ip", Rules: p.rules,
			Text: fmt.Sprintf("%s's edges sent %d%% of about %s requests in %s: %s in front, and the log has its addresses, not the visitors'? "+
				"Rules counting per client or per address (%s) see a few dozen clients, and those that learn each client's or network's normal now leave %s's addresses out; "+
				"log the visitor's address (%s)",
				name, p.cdn[c]*100/p.events, alert.Thousands(p.events*p.step), over, name, strings.Join(p.rules, ", "), name, cdns[c].fix)})
		return true
	}
	if p.events < least || len(p.lead) == 0 || !relays {
		return false // before Top, which sorts: most periods end here
	}
	top := p.top.Top(1)
	if len(top) == 0 || float64(top[0].Count) < proxyShare*float64(p.events) || top[0].Key != string(p.lead) {
		return false
	}
	p.done, n.front.key = true, top[0].Key
	over := p.over(at)
	n.add(Notice{Time: at, Kind: "proxy", Field: "client_ip", Rules: p.rules,
		Text: fmt.Sprintf("one address, %s, sent %d%% of about %s requests in %s: a proxy or load balancer in front, logging its own address? "+
			"Rules counting per client (%s) see it as one client, and those that learn each client's normal now leave it out; "+
			"log the client's address instead (nginx: set_real_ip_from and real_ip_header X-Forwarded-For, or \"$http_x_forwarded_for\" at the end of the line as its main format has; Apache: mod_remoteip; "+
			"an app behind a proxy, as Rails or Phoenix: have the proxy send X-Forwarded-For, which Rails' remote_ip reads, and log that address)",
			alert.Sanitize(top[0].Key, 64), top[0].Count*100/p.events, alert.Thousands(p.events*p.step), over, strings.Join(p.rules, ", "))})
	return true
}

// over says how long the stretch a verdict at at looked at lasted: the
// period, or the log's first stretch so far.
func (p *proxyWatch) over(at time.Time) string {
	if p.first {
		return alert.FormatDuration(at.Sub(p.from).Round(time.Second))
	}
	return alert.FormatDuration(proxyPeriod)
}

// leadAt is the sampled request of the period after which its busiest
// client is the lead.
func (p *proxyWatch) leadAt() uint64 {
	if p.step == 1 {
		return proxySmallLead
	}
	return proxyLead
}

var proxySeed = maphash.MakeSeed()

// late counts one late event of e (older than its newest time less the
// skew); past the share, it says once that the log is out of time
// order, and what to do. It costs nothing on events in order.
func (n *notices) late(e *Engine) {
	w := &n.lateWatch
	if w.done {
		return
	}
	if !w.begun || e.wmNs-w.from > int64(lateNoticePeriod) {
		w.from, w.events, w.late, w.begun = e.wmNs, e.events-1, 0, true
	}
	w.late++
	seen := e.events - w.events
	if w.late < lateNoticeMin || w.late*lateNoticeShare < seen {
		return
	}
	w.done = true
	at := time.Unix(0, e.wmNs).UTC()
	n.add(Notice{Time: at, Kind: "late",
		Text: fmt.Sprintf("%d of the %d events since %s came more than the skew (%s) behind the newest time and were not counted (late): "+
			"the log is out of time order — several servers' logs one after the other in one file (replay merges files by time: give each its own), servers' logs merged with delays, or a server that stamps a request's start "+
			"(Apache's %%t) so that a slow request, a hanging backend's 5xx, comes late; raise settings.skew "+
			"(replay: --skew) to the longest delay, up to 1h (Apache: or log %%{end:[%%d/%%b/%%Y:%%H:%%M:%%S %%z]}t for %%t)",
			w.late, seen, time.Unix(0, w.from).UTC().Format(time.TimeOnly), e.opts.Skew)})
}

func missingField(w *fieldWatch, at time.Time) Notice {
	what := fmt.Sprintf("no %s in the first %d requests", w.field.Name, noticeAfter)
	fix := ""
	if w.field.Name == "client_ip" || w.field.Name == "client_net" {
		fix = "; log the client's address (nginx and Apache log it by default; Phoenix: add :remote_ip to the Logger metadata; behind a proxy, the forwarded address)"
	}
	return Notice{Time: at, Kind: "missing-field", Field: w.field.Name, Rules: w.rules,
		Text: fmt.Sprintf("%s: %s count nothing per %s%s", what, strings.Join(w.rules, ", "), w.field.Name, fix)}
}

func (n *notices) add(x Notice) {
	n.all = append(n.all, x)
	if n.emit != nil {
		n.emit(x)
	}
}

// frontKeys is what stands in front of a site, once the proxy notice
// says so: a proxy's address, or a CDN's edges (cdns).
type frontKeys struct {
	key string // the proxy's address; "" for none
	cdn *cdn   // the CDN whose edges are in front; nil for none
}

// hasNet reports whether key, a client_net value (203.0.113.0/24,
// 2001:db8:1:2::/64), is a network of the CDN in front: every CDN network
// is a /24 or a /64 or wider, so the network's first address says.
func (f *frontKeys) hasNet(key []byte) bool {
	if f == nil || f.cdn == nil {
		return false
	}
	i := slices.Index(key, '/')
	return i > 0 && f.cdn.has(key[:i])
}

// has reports whether key, a client_ip value, is in front: no client.
func (f *frontKeys) has(key []byte) bool {
	return f != nil && (f.key != "" && string(key) == f.key || f.cdn != nil && f.cdn.has(key))
}
