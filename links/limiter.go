package links

import (
	"net/netip"
	"sync"
	"time"
)

// Rates of the public listener: each address (an IPv6 /64) may make
// perAddrBurst requests at once and then one every 1/perAddrRate seconds;
// all addresses together, globalBurst and then globalRate a second. A
// person on a phone makes two requests per link (the page and its form).
const (
	perAddrRate  = 0.2 // a second
	perAddrBurst = 10
	globalRate   = 20
	globalBurst  = 100
	// maxBuckets bounds the addresses followed; past it, full buckets are
	// forgotten, then any.
	maxBuckets = 10000
)

// limiter is a token bucket per client address and one for all of them.
// It reads no clock: callers pass the time. It is safe for concurrent use.
type limiter struct {
	mu      sync.Mutex // guards the fields below
	buckets map[netip.Prefix]*bucket
	global  bucket
}

// bucket is one token bucket.
type bucket struct {
	tokens float64
	last   time.Time
	// told says that a refusal was audited since the bucket was last
	// full: one entry per burst of refusals, not one per request.
	told bool
}

func newLimiter() *limiter {
	return &limiter{buckets: map[netip.Prefix]*bucket{}, global: bucket{tokens: globalBurst}}
}

// take takes a token for now from b, refilled at rate up to burst.
func (b *bucket) take(now time.Time, rate, burst float64) bool {
	if !b.last.IsZero() {
		b.tokens = min(burst, b.tokens+now.Sub(b.last).Seconds()*rate)
	}
	b.last = now
	if b.tokens >= burst {
		b.told = false
	}
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// allow reports whether a request from addr may be served at now, and,
// when not, whether it is the first refusal of its burst (to audit).
func (l *limiter) allow(addr netip.Addr, now time.Time) (ok, first bool) {
	key := netip.PrefixFrom(addr, addr.BitLen())
	if addr.Is6() && !addr.Is4In6() {
		key, _ = addr.Prefix(64) // one subscriber holds a whole /64
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.buckets[key]
	if b == nil {
		if len(l.buckets) >= maxBuckets {
			l.evict(now)
		}
		b = &bucket{tokens: perAddrBurst, last: now}
		l.buckets[key] = b
	}
	if !b.take(now, perAddrRate, perAddrBurst) {
		first = !b.told
		b.told = true
		return false, first
	}
	if !l.global.take(now, globalRate, globalBurst) {
		b.tokens++ // not this address's fault
		first = !l.global.told
		l.global.told = true
		return false, first
	}
	return true, false
}

// evict forgets the buckets that are full again, or, when none is, one.
// The caller holds mu.
func (l *limiter) evict(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*perAddrRate >= perAddrBurst {
			delete(l.buckets, k)
		}
	}
	for k := range l.buckets {
		if len(l.buckets) < maxBuckets {
			break
		}
		delete(l.buckets, k)
	}
}
