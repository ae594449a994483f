package detector

import (
	"bytes"
	"fmt"
	"math"
	"math/bits"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/sentinel-dev/sentinel/alert"
)

// Evidence is what raises a rule's alert to critical: signs that a bot,
// not people, is behind the volume. Volume above normal alone is the
// rule's own severity (a warning: a marketing mail brings thousands of
// real sign-ups); any one sign that holds over the window makes the alert
// critical, and the alert says which.
type Evidence struct {
	// Cold: critical when at least this share of the window's events
	// came from addresses that made no GET or HEAD request (a page or an
	// asset) in the coldWindow before: a bot posts to the form without
	// loading it. 0: not used.
	Cold float64
	// ShareOf and Share: critical when the rule's events are at least
	// Share of the events passing ShareOf in the window (failed log-ins
	// among log-in posts: people mistype, 10–25%; stuffing fails nearly
	// always). Share 0: not used.
	ShareOf Cond
	Share   float64
	// NoPause: critical when at least this share of the window's events
	// came from addresses that loaded no page first or posted within
	// pauseMin of their visit's first page (a form takes a person longer
	// to fill; a bot fetching the form's CSRF token posts at once, as
	// Rails' invisible_captcha's 4-second threshold assumes). 0: not used.
	NoPause float64
	// ClientsPerAgent: critical when the window's events came from at
	// least this many times as many distinct client addresses as distinct
	// user agents, with at least minEvidenceClients clients (thousands of
	// addresses sending a handful of user agents), and at most half of the
	// events from a native app's HTTP stack (see nativeApp): an app's
	// users all send its one user agent. 0: not used.
	ClientsPerAgent float64
}

// minEvidenceEvents is the fewest events in a window for a share to be
// evidence; minEvidenceClients the fewest clients for user agents to be.
const (
	minEvidenceEvents  = 20
	minEvidenceClients = 50
	// minPostEvents is the fewest for cold and no_pause: a person's post
	// is rarely cold (people load the form first: no cold sign-up in the
	// whole days of the matrix's ordinary sites) and rarely comes within
	// pauseMin of the visit's first page (the first page is seldom the
	// form, and a form takes longer), so eight of ten are a bot's, and a
	// slow drip's eight posts (past signup-drip's floor of 7) are judged
	// when it fires: its first alert is critical, not a warning raised a
	// few posts later.
	minPostEvents = 8
)

// coldWindow is how long a page or asset load keeps its address warm:
// between coldWindow and twice that (two generations of a filter).
const coldWindow = 10 * time.Minute

// coldGuard is how long after the first event every address is warm: a
// post then may follow a page load made before the log (or a restart)
// began. A person posts a minute or two after the page: a log-in 5 to 30
// s, a sign-up form 20 s to 2 minutes. Past it, the few people still
// posting from a page loaded before are far under any cold share (80% of
// 8 posts or more); a bot posting cold is seen two minutes after a
// sentinel started during its flood, not ten (the whole coldWindow, until
// stop 45: the founding story's flood, when sentinel started with it, was
// a warning for its first ten minutes).
const coldGuard = 2 * time.Minute

// evidence keeps a rule's signs over its window, per ring slot.
type evidence struct {
	cfg  *Evidence
	s    *ruleState
	cold []uint64 // per slot: events from cold addresses
	rush []uint64 // per slot: events from cold addresses or posted without a person's pause, with NoPause
	sumR uint64
	app  []uint64 // per slot: events from a native app's HTTP stack, with ClientsPerAgent
	sumA uint64
	of   []uint64 // per slot: events passing ShareOf (counted by the engine for every event)
	// ofKeys counts the events passing ShareOf per group_by key, for a
	// per-key rule's KeyOrdinaryShare; nil without.
	ofKeys *window
	sumC   uint64
	sumOf  uint64

	// clients and agents count the window's client addresses and user
	// agents for ClientsPerAgent. clients is the rule's own count when it
	// counts client addresses over the window (distinct: client_ip, or a
	// distinct rule's field): one insert per event, not two.
	clients, agents *distinctCount
	ownClients      bool  // clients is the evidence's own, not the rule's
	agentsFrom      int64 // the first bucket the agents' count has seen, after a restore without it
	// fleetAgents keeps each slot's user agents' hashes for the fleet's
	// delta, for a fleet rule whose clients are its distinct client_ip;
	// nil otherwise.
	fleetAgents *fleetSlots
	// remote is the measure a fleet's evaluator gives (see [Remote]): the
	// evidence's sums come from it, and its clients and user agents.
	remote *Measure
}

func newEvidence(cfg *Evidence, s *ruleState) *evidence {
	ev := &evidence{cfg: cfg, s: s}
	if cfg.Cold > 0 {
		ev.cold = make([]uint64, len(s.w.ring))
	}
	if cfg.NoPause > 0 {
		ev.rush = make([]uint64, len(s.w.ring))
	}
	if cfg.Share > 0 {
		ev.of = make([]uint64, len(s.w.ring))
		// Per key: a per-key rule's KeyOrdinaryShare, and a site-wide
		// rule's top keys, where people's keys go after the others (over
		// windows up to peopleWindow: a key table per bucket of an hour's
		// window costs a replay a tenth where log-in posts are common).
		if b := s.rule.Baseline; s.rule.GroupBy != nil && (!s.rule.PerKey && s.rule.Window <= peopleWindow || b != nil && b.KeyOrdinaryShare > 0) {
			w := newWindow(int64(s.rule.Window/s.opts.Resolution), true, false, s.opts.KeysPerBucket, func(int) {})
			ev.ofKeys = &w
		}
	}
	if cfg.ClientsPerAgent > 0 {
		ua := LookupField("user_agent")
		ev.agents = newDistinctCount(&ua, &s.w)
		if d := s.distinct; d != nil && d.field.Name == "client_ip" {
			ev.clients = d
		} else {
			ip := LookupField("client_ip")
			ev.clients, ev.ownClients = newDistinctCount(&ip, &s.w), true
		}
		ev.agentsFrom = math.MinInt64
		ev.app = make([]uint64, len(s.w.ring))
		if s.rule.Fleet && s.opts.Delta != nil && !ev.ownClients {
			ev.fleetAgents = newFleetSlots(len(s.w.ring))
		}
	}
	return ev
}

// add counts a matching event into ring slot slot.
func (e *evidence) add(slot int, ev *Event) {
	// An app's users post without a page (its pages come with the
	// app): no sign of a bot.
	if e.cold != nil && ev.loadedNone() && !ev.isApp() {
		e.cold[slot]++
		e.sumC++
	}
	if e.rush != nil && (ev.loadedNone() || ev.isHasty()) && !ev.isApp() {
		e.rush[slot]++
		e.sumR++
	}
	if e.agents != nil {
		if e.ownClients {
			e.clients.add(slot, ev)
		}
		e.agents.add(slot, ev)
		if ev.isApp() {
			e.app[slot]++
			e.sumA++
		}
		if f := e.fleetAgents; f != nil && len(ev.UserAgent) > 0 {
			if f.full(slot) {
				f.dropped[slot]++
			} else {
				f.add(slot, xxhash.Sum64(ev.UserAgent))
			}
		}
	}
}

// nativeApps are what a native app's HTTP stack puts in its user agent:
// Android's OkHttp and default client, Flutter's, Apple's URL loading,
// Alamofire, Ktor; appDevices what an app's own user agent names its
// device with when it is no browser's ("ShopApp/5.13 (iPhone; iOS 18.1;
// Scale/3.00)", "ShopApp/5.13 (Android 14; SM-A546B)"). Every user of an
// app sends one of a handful, so thousands of addresses with a handful of
// user agents is an app's release day as well as a bot's.
var (
	nativeApps = [][]byte{[]byte("okhttp/"), []byte("Dalvik/"), []byte("Dart/"), []byte("CFNetwork/"), []byte("Alamofire/"), []byte("Ktor client")}
	appDevices = [][]byte{[]byte("(iPhone"), []byte("(iPad"), []byte("(Android"), []byte("; Android "), []byte("; iOS ")}
)

// nativeApp reports whether a user agent is a native app's: its HTTP
// stack's, or one naming a phone, not starting as browsers' do (and a
// browser's never names an app's stack: the test most events stop at).
func nativeApp(ua []byte) bool {
	if bytes.HasPrefix(ua, []byte("Mozilla/")) {
		return false
	}
	for _, p := range nativeApps {
		if bytes.Contains(ua, p) {
			return true
		}
	}
	for _, p := range appDevices {
		if bytes.Contains(ua, p) {
			return true
		}
	}
	return false
}

// appClient reports whether a user agent is an app's: a native app's
// (nativeApp), or a hybrid app's web view, whose pages come with the app
// (Capacitor, Cordova): Android's web view says "; wv)", iOS's ends in
// "Mobile/15E148" where Safari's goes on with "Safari/...".
func appClient(ua []byte) bool {
	if !bytes.HasPrefix(ua, []byte("Mozilla/")) {
		return nativeApp(ua)
	}
	// Android's web view says so at the end of its platform, the first
	// parenthesis: "(Linux; Android 14; SM-S911B Build/UP1A...; wv)".
	if i := bytes.IndexByte(ua, ')'); i >= 4 && string(ua[i-4:i]) == "; wv" {
		return true
	}
	tok := ua[bytes.LastIndexByte(ua, ' ')+1:]
	if !bytes.HasPrefix(tok, []byte("Mobile/")) || len(tok) == len("Mobile/") {
		return false
	}
	for _, c := range tok[len("Mobile/"):] {
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// addOf counts ev, which passed ShareOf, into bucket n, when the window
// holds it. The engine calls it for every event, matching the rule or
// not.
func (e *evidence) addOf(n int64, ev *Event) {
	w := &e.s.w
	bn := w.bucketOf(n)
	i := w.index(bn)
	if w.ring[i].n != bn || bn < w.last-w.nb {
		return
	}
	e.of[i]++
	e.sumOf++
	w.ring[i].side = true
	if e.ofKeys != nil {
		key := e.s.rule.GroupBy.get(ev)
		if len(key) > maxKeyBytes {
			key = key[:maxKeyBytes]
		}
		if len(key) > 0 {
			e.ofKeys.add(bn, key, ev, e.s.rule.GroupBy)
		}
	}
}

// opened opens bucket n of the per-key count of ShareOf's events with
// the rule's window.
func (e *evidence) opened(n int64) {
	if e.ofKeys != nil {
		e.ofKeys.open(n)
	}
}

// ordinaryKey reports whether key's events over the window's complete
// buckets are under share of its own ShareOf events, with at least
// minEvidenceEvents of those (see [Baseline.KeyOrdinaryShare]): its
// events at most what the window counts for it, its ShareOf events at
// least, so that a sketch's error never spares a key.
func (e *evidence) ordinaryKey(key []byte, share float64) bool {
	of, oferr, ok := e.ofKeys.keys.Get(key)
	if !ok || of-min(oferr, of) < minEvidenceEvents {
		return false
	}
	mine, _, _ := e.s.w.keys.Get(key)
	return float64(mine) < share*float64(of-min(oferr, of))
}

// peopleKey reports whether a key's failures, at most fails, among its
// log-in posts, at least posts, are people's: one of its log-ins worked
// in the window. A person who mistyped logs in at the next try, an
// office's people fail a quarter of the time; a bot's addresses nearly
// always fail. The counts are the summaries' bounds, so that a sketch's
// error never spares a key.
func peopleKey(fails, posts uint64) bool { return posts > fails }

// peopleWindow is the longest window of a site-wide rule whose top keys
// put people's last.
const peopleWindow = 5 * time.Minute

// peopleLast moves the keys whose events are people's (see peopleKey:
// the rule's events are failed log-ins, its share.of's log-in posts)
// after the others, in order: an office's mistyped passwords, the busiest
// key of a distributed attack's window, and the people who mistyped
// then logged in, are not its offenders, and an operator blocking the
// first addresses must not block them.
func (e *evidence) peopleLast(keys []alert.KeyCount) {
	if e.ofKeys != nil {
		peopleLast(keys, func(key []byte) bool {
			of, oferr, _ := e.ofKeys.keys.Get(key)
			mine, _, _ := e.s.w.keys.Get(key)
			return peopleKey(mine, of-min(oferr, of))
		})
	}
}

// peopleLast moves the keys for which people is true after the others,
// each part in its order.
func peopleLast(keys []alert.KeyCount, people func(key []byte) bool) {
	if len(keys) < 2 {
		return
	}
	mark := make([]bool, len(keys))
	n := 0
	for i, k := range keys {
		if mark[i] = people([]byte(k.Key)); mark[i] {
			n++
		}
	}
	if n == 0 || n == len(keys) {
		return
	}
	out := make([]alert.KeyCount, 0, len(keys))
	for pass := range 2 {
		for i, k := range keys {
			if mark[i] == (pass == 1) {
				out = append(out, k)
			}
		}
	}
	copy(keys, out)
}

func (e *evidence) expired(slot int) {
	if e.cold != nil {
		e.sumC -= e.cold[slot]
		e.cold[slot] = 0
	}
	if e.rush != nil {
		e.sumR -= e.rush[slot]
		e.rush[slot] = 0
	}
	if e.of != nil {
		e.sumOf -= e.of[slot]
		e.of[slot] = 0
	}
	if e.agents != nil {
		e.clients.expired(slot)
		e.agents.expired(slot)
		e.sumA -= e.app[slot]
		e.app[slot] = 0
	}
}

// saveSlot puts slot's counts in its bucket's snapshot.
func (e *evidence) saveSlot(slot int, bs *BucketSnapshot) {
	if e.cold != nil {
		bs.Cold = e.cold[slot]
	}
	if e.rush != nil {
		bs.Rush = e.rush[slot]
	}
	if e.of != nil {
		bs.Of = e.of[slot]
	}
	if e.app != nil {
		bs.App = e.app[slot]
	}
	if e.ofKeys != nil {
		if bk := &e.ofKeys.ring[slot]; bk.keys != nil && bk.n == bs.N {
			bk.keys.Each(func(key []byte, count, err uint64) {
				bs.OfKeys = append(bs.OfKeys, alert.KeyCount{Key: string(key), Count: count, Error: err})
			})
		}
	}
}

func (e *evidence) loadSlot(slot int, bs *BucketSnapshot) {
	if e.cold != nil {
		e.cold[slot] = min(bs.Cold, bs.Count)
		e.sumC += e.cold[slot]
	}
	if e.rush != nil {
		e.rush[slot] = min(bs.Rush, bs.Count)
		e.sumR += e.rush[slot]
	}
	if e.of != nil {
		e.of[slot] = bs.Of
		e.sumOf += bs.Of
		e.s.w.ring[slot].side = bs.Of > 0
	}
	if e.app != nil {
		e.app[slot] = min(bs.App, bs.Count)
		e.sumA += e.app[slot]
	}
	if e.ofKeys != nil {
		e.ofKeys.restoreBucket(bs.N, bs.OfKeys, bs.Merged)
	}
}

// save puts the evidence's sketches in the rule's snapshot: the user
// agents', and the client addresses' when they are the evidence's own.
func (e *evidence) save(rs *RuleSnapshot) error {
	if e.agents == nil {
		return nil
	}
	var err error
	if rs.Agents, err = e.agents.save(); err != nil {
		return err
	}
	if e.ownClients {
		rs.Clients, err = e.clients.save()
	}
	return err
}

// load restores the sketches save kept. A snapshot without them (written
// before they were kept) restores none: the clients and agents both count
// new events only. When clients is the rule's own count, restored with the
// rule, the clients-per-agent sign waits until the window holds only
// buckets after last, the snapshot's newest: restored addresses against
// new user agents alone would be a ratio of nothing.
func (e *evidence) load(rs *RuleSnapshot) error {
	if e.agents == nil {
		return nil
	}
	if err := e.agents.load(rs.Agents); err != nil {
		return err
	}
	if e.ownClients {
		return e.clients.load(rs.Clients)
	}
	if len(rs.Agents) == 0 && len(rs.Distinct) > 0 && rs.Last != math.MinInt64 {
		e.agentsFrom = rs.Last + 1
	}
	return nil
}

// ordinary reports whether the rule's events over the window are under
// share of the events passing ShareOf, with enough of those to tell (see
// [Baseline.WarmupShare]).
func (e *evidence) ordinary(share float64) bool {
	return e.sumOf >= minEvidenceEvents && float64(e.s.w.total) < share*float64(e.sumOf)
}

// shareHolds reports whether the share sign holds over the window: the
// rule's events at least critical_when's share of the share's events, with
// enough of those to tell.
func (e *evidence) shareHolds() bool {
	return e.sumOf >= minEvidenceEvents && float64(e.s.w.total) >= e.cfg.Share*float64(e.sumOf)
}

// signs returns the signs that hold over the window, in words; with
// agents false, the user agents' sign is left out (see
// ruleState.escalates).
func (e *evidence) signs(agents bool) []string {
	var out []string
	total := e.s.w.total
	cold := e.cfg.Cold > 0 && total >= minPostEvents && float64(e.sumC) >= e.cfg.Cold*float64(total)
	if cold {
		out = append(out, fmt.Sprintf("%s of %s from addresses that loaded no page first",
			alert.Thousands(e.sumC), alert.Thousands(total)))
	}
	// The cold posts are among the rushed: said once, when cold says it
	// all.
	if e.cfg.NoPause > 0 && !cold && total >= minPostEvents && float64(e.sumR) >= e.cfg.NoPause*float64(total) {
		out = append(out, fmt.Sprintf("%s of %s posted within %s of their address's first page, or with none",
			alert.Thousands(e.sumR), alert.Thousands(total), alert.FormatDuration(pauseMin)))
	}
	if e.cfg.Share > 0 && e.shareHolds() {
		out = append(out, fmt.Sprintf("%s of %s %s", alert.Thousands(total), alert.Thousands(e.sumOf), BlockName(e.cfg.ShareOf)))
	}
	if c, a, ok := e.clientsAgents(); ok && agents {
		// No user agent at all is a log that does not carry them (Phoenix's
		// Logger), not a sign.
		if c >= minEvidenceClients && a > 0 && float64(c) >= e.cfg.ClientsPerAgent*float64(a) && 2*e.sumA <= total {
			out = append(out, fmt.Sprintf("%s addresses, %s user agents", alert.Thousands(c), alert.Thousands(a)))
		}
	}
	return out
}

// clientsAgents returns the window's distinct client addresses and user
// agents for ClientsPerAgent: the sketches' estimates, or a fleet's
// measure (its user agents published by nodes that do); false when not
// known.
func (e *evidence) clientsAgents() (clients, agents uint64, ok bool) {
	switch {
	case e.cfg.ClientsPerAgent == 0:
		return 0, 0, false
	case e.remote != nil:
		return e.remote.Distinct, e.remote.Agents, e.remote.Agents > 0
	case e.agents != nil && e.s.w.last-e.s.w.nb >= e.agentsFrom:
		return e.clients.estimate(), e.agents.estimate(), true
	}
	return 0, 0, false
}

// BlockName names a match block: a matcher's name, or "events of the
// block".
func BlockName(c Cond) string {
	if s, ok := c.(*Shared); ok {
		return s.Name
	}
	return "events of the block"
}

// pauseMin is the least time a person takes from a visit's first page to
// a form's post: a post sooner is a bot's (see [Evidence.NoPause]). Log
// times are whole seconds: 3 s apart is under 4 s.
const pauseMin = 3 * time.Second

// visits remembers, per client address, when its visit began: its first
// GET or HEAD after none for coldWindow. A fixed table of 2^16 slots of 8
// bytes (512 KiB, made at the first page load) indexed by the address's
// hash, each holding the visit's
// first second (after the engine's first event, from 1), how long it has
// lasted since (seconds, at most 65,535) and 16 bits of the hash. A slot
// another address took over answers nothing for the first one (not hasty)
// until its next page load, which then starts a visit of its own, begun
// before it if the address loaded something lately (the warm set says so):
// under a flood of new addresses a person's visit, or a busy NAT's, goes on
// that way; a bot's post a second after its form is evicted in that second
// only.
type visits struct {
	slot  []uint64
	first int64 // the first event's time, Unix nanoseconds
}

const visitSlots = 1 << 16

func newVisits() *visits { return &visits{first: math.MinInt64} }

// sec returns ev's time in whole seconds after the first event, from 1.
func (v *visits) sec(ev *Event) uint32 {
	if v.first == math.MinInt64 {
		v.first = ev.ns
	}
	return uint32(max((ev.ns-v.first)/int64(time.Second), 0)) + 1
}

// note records ev, a page or asset load, in its address's visit.
func (v *visits) note(ev *Event, warm func(*Event) bool) {
	if v.slot == nil {
		v.slot = make([]uint64, visitSlots)
	}
	h := ev.clientIPHash()
	i, fp := h%visitSlots, uint64(h>>48)
	now := v.sec(ev)
	cur := v.slot[i]
	start, span := uint32(cur>>32), uint32(cur>>16)&0xffff
	if cur != 0 && cur&0xffff == fp && now >= start && now-start-span <= uint32(coldWindow/time.Second) {
		// The same visit goes on: its span grows (at most 65,535 s, the
		// start moving on past that).
		if d := now - start; d > 0xffff {
			start, d = now-0xffff, 0xffff
			span = d
		} else if d > span {
			span = d
		}
		v.slot[i] = uint64(start)<<32 | uint64(span)<<16 | fp
		return
	}
	if cur != 0 && cur&0xffff != fp && now > pauseSec+1 && warm(ev) {
		// Another address took the slot over, and this one loaded a page
		// lately (the warm set, asked before this load): its visit began
		// before, unknown when, and a post now is not hasty. A busy office
		// NAT posting its orders every few seconds looked hasty after each
		// such loss.
		now -= pauseSec + 1
	}
	v.slot[i] = uint64(now)<<32 | fp
}

// pauseSec is pauseMin in whole seconds.
const pauseSec = uint32(pauseMin / time.Second)

// hasty reports whether ev, from an address that loaded a page lately,
// came within pauseMin of its visit's first page.
func (v *visits) hasty(ev *Event) bool {
	if v.slot == nil {
		return false
	}
	h := ev.clientIPHash()
	cur := v.slot[h%visitSlots]
	if cur == 0 || cur&0xffff != h>>48 {
		return false
	}
	start, now := uint32(cur>>32), v.sec(ev)
	return now >= start && time.Duration(now-start)*time.Second <= pauseMin
}

// warmSet remembers the addresses that made a GET or HEAD request lately:
// two generations of a Bloom filter of 2^20 bits each, swapped every
// coldWindow of event time, so that memory is fixed (256 KiB) whatever
// the traffic. A false positive (about 2% at 100,000 addresses in a
// generation) makes a cold address look warm: evidence is missed, never
// invented.
//
// For its first coldGuard of event time it knows nothing of the time
// before its first event, and calls every address warm: a post in a log's
// (or a restart's) first minutes may follow a page load that was not
// read. The evidence alone reads what the log shows then, on a fresh
// start (Event.loadedNone).
type warmSet struct {
	cur, old []uint64
	visits   *visits // with a rule's NoPause; nil without
	gen      int64   // the current generation: event time / coldWindow
	next     int64   // the next generation's start, Unix nanoseconds: (gen+1) × coldWindow
	first    int64   // the first event's time, Unix nanoseconds
	started  bool
	// restored: the engine resumed from a snapshot, so that the guard's
	// posts may follow pages the last run read (people mid-form across a
	// restart): the evidence keeps the guard then (Event.loadedNone).
	restored bool
}

const warmBits = 1 << 20

func newWarmSet() *warmSet {
	return &warmSet{cur: make([]uint64, warmBits/64), old: make([]uint64, warmBits/64),
		next: int64(coldWindow)}
}

// advance swaps generations as event time ns (Unix nanoseconds) passes
// them.
func (w *warmSet) advance(ns int64) {
	if !w.started {
		w.started, w.first = true, ns
	}
	if ns < w.next {
		return // within the generation (or behind it): no division per event
	}
	g := floorDiv(ns, int64(coldWindow))
	switch {
	case g == w.gen+1:
		w.cur, w.old = w.old, w.cur
		clear(w.cur)
	default:
		clear(w.cur)
		clear(w.old)
	}
	w.gen, w.next = g, (g+1)*int64(coldWindow)
}

// bits returns the three bit positions of an address of keyHash h (the
// event's, computed once for every table keyed on the client).
func (w *warmSet) bits(h uint64) [3]uint32 {
	h2 := bits.RotateLeft64(h, 21) | 1
	return [3]uint32{uint32(h) % warmBits, uint32(h+h2) % warmBits, uint32(h+2*h2) % warmBits}
}

// note records ev's client as warm, if ev is a page or asset load.
func (w *warmSet) note(ev *Event) {
	if len(ev.ClientIP) == 0 || !(string(ev.Method) == "GET" || string(ev.Method) == "HEAD") {
		return
	}
	if w.visits != nil {
		w.visits.note(ev, w.seen) // first: seen tells whether it was warm before
	}
	for _, b := range w.bits(ev.clientIPHash()) {
		w.cur[b/64] |= 1 << (b % 64)
	}
}

// guarded reports whether ev, from a client address, is within coldGuard
// of the first event.
func (w *warmSet) guarded(ev *Event) bool {
	return len(ev.ClientIP) > 0 && ev.ns-w.first < int64(coldGuard)
}

// seen reports whether ev's client loaded something lately, as far as
// the events since the first show; true without a client address.
func (w *warmSet) seen(ev *Event) bool {
	if len(ev.ClientIP) == 0 {
		return true
	}
	in := func(set []uint64, bs [3]uint32) bool {
		for _, b := range bs {
			if set[b/64]&(1<<(b%64)) == 0 {
				return false
			}
		}
		return true
	}
	bs := w.bits(ev.clientIPHash())
	return in(w.cur, bs) || in(w.old, bs)
}
