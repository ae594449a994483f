package detector

import "math"

// A site's failures are not independent requests. A backend that stalls
// for 3 to 10 s fails what a visitor asked meanwhile, the page, its API
// calls and their retries, at once: a dozen of a quiet minute's two dozen
// requests, from one or two clients, which no test of independent requests
// calls chance. A site-wide ratio rule with Chance therefore learns how
// many of the window's hits one client brings (a cluster: the client's
// hits while it has any in the window) and counts a client's hits as one,
// up to the size the site's clusters reach often (span): the stall's two
// clients of a dozen failures are two failures. A client's hits past that
// size, and every other client, still count: an outage fails every
// visitor, each of them a cluster, and a visitor who keeps reloading
// passes the size. A site whose failures come one to a client (random
// errors, a site that rarely fails) has a span of 1: its hits count as
// before, each a failure.
//
// Clients are the hits' client_ip. A hit without one, or past a bucket's
// clusterSlotCap, counts alone, as does every hit of a rule per key.

const (
	// clusterSlotCap bounds the clients a bucket keeps (an outage's
	// thousands of failures a second): the hits past it count alone,
	// which is what they would add to an outage's evidence anyway.
	clusterSlotCap = 64
	// clusterBins are the cluster sizes counted: 1 to 16 each, 17 to 32,
	// 33 and more (counted as 64).
	clusterBins = 18
	// clusterCommon is how often, in the decayed sums of a day
	// (chanceHalfLife), clusters of a size must have come for the size
	// to be the site's: twice in the sums, about once and a half a day.
	// A stall every two hours is well past it; a single one, a day's
	// only, is not (it pages, once).
	clusterCommon = 2
)

// clusterBin returns the bin of a cluster of size hits.
func clusterBin(hits uint32) int {
	switch {
	case hits <= 16:
		return int(max(hits, 1)) - 1
	case hits <= 32:
		return 16
	}
	return 17
}

// clusterBinSize returns the largest size bin b counts.
func clusterBinSize(b int) uint32 {
	switch {
	case b < 16:
		return uint32(b) + 1
	case b == 16:
		return 32
	}
	return 64
}

// cluster is one client's hits in the window.
type cluster struct {
	hits  uint32 // in the window now
	peak  uint32 // the most it held at once
	since int64  // the bucket of its first hit
}

// clusterSet is the window's hits by client, for a ratio with Chance:
// the clients of each ring slot's hits, and each client's cluster.
type clusterSet struct {
	slots   [][]uint64 // per ring slot: its hits' clients (slidinghll.Hash of client_ip)
	clients map[uint64]cluster
	busy    int64 // the newest bucket at whose boundary the rule was not inactive
}

func newClusterSet(slots int) *clusterSet {
	return &clusterSet{slots: make([][]uint64, slots), clients: make(map[uint64]cluster), busy: math.MinInt64}
}

// hit counts ev, a hit in slot, of bucket n, in its client's cluster; a
// hit without a client address counts alone.
func (c *clusterSet) hit(slot int, n int64, ev *Event) {
	if len(c.slots[slot]) < clusterSlotCap && len(ev.ClientIP) > 0 && string(ev.ClientIP) != "-" {
		c.add(slot, n, ev.clientIPDistinct())
	}
}

// add counts a hit of client h (a slidinghll.Hash) in slot, of bucket n.
func (c *clusterSet) add(slot int, n int64, h uint64) {
	if len(c.slots[slot]) >= clusterSlotCap {
		return
	}
	c.slots[slot] = append(c.slots[slot], h)
	cl := c.clients[h]
	if cl.hits == 0 {
		cl.since = n
	}
	cl.hits++
	cl.peak = max(cl.peak, cl.hits)
	c.clients[h] = cl
}

// expired takes slot's hits out of their clusters; a cluster that leaves
// the window goes into normal's sizes, unless the rule was firing (or
// pending) at a boundary since its first hit: an outage's visitors are
// no normal.
func (c *clusterSet) expired(slot int, normal *shareNormal) {
	for _, h := range c.slots[slot] {
		cl := c.clients[h]
		if cl.hits <= 1 {
			delete(c.clients, h)
			if cl.since > c.busy {
				normal.sizes[clusterBin(cl.peak)]++
			}
			continue
		}
		cl.hits--
		c.clients[h] = cl
	}
	c.slots[slot] = c.slots[slot][:0]
}

// effective returns hits of events as the test of chance counts them: a
// cluster of hits as one hit up to span, and its hits past span one each;
// the hits of no cluster (no client, or past a bucket's cap) one each.
// The window's other events stay as they are. It also returns how many
// clients the clustered hits came from.
func (c *clusterSet) effective(span uint32, hits, events uint64) (eh, ee, clients uint64) {
	var clustered uint64
	for _, cl := range c.clients {
		clustered += uint64(cl.hits)
		eh += uint64((cl.hits + span - 1) / span)
		clients++
	}
	eh += hits - min(clustered, hits)
	eh = min(eh, hits)
	return eh, events - (hits - eh), clients
}
