package detector

import "github.com/cespare/xxhash/v2"

// beyondBusiest leaves out of a per-key rule each key's busiest value of
// another field ([Rule.BeyondBusiest]): network-flood counts a network's
// requests from its addresses other than the busiest one. A scraper
// rotating through a /24 or a /64 sends from many addresses and is
// counted whole; an office's NAT alone in its /24 is one address, a
// client, which client-flood judges against that client's own normal and
// its share of the site.
//
// Each key keeps a majority vote (Boyer and Moore) over the field's
// values: a candidate and a count of votes, at most beyondVotes. An event
// from the candidate adds a vote and is left out; any other event takes
// one away and is counted, and when none is left the next value is the
// candidate. A value with more than half of a key's events is its
// candidate, so what is counted is at most twice the events of the key's
// other values; with none above half, nearly every event is counted. The
// cap lets a new busiest value take over within beyondVotes events.
//
// The keys share a direct-mapped table of beyondSlots: memory is fixed
// whatever the traffic. Two keys on one slot evict each other, and an
// evicted key's next event is counted (a flood of random networks is
// counted whole, as without the option); an office NAT on a 300 req/s
// site loses its slot to another network about once in 14 s, one counted
// request each time. Written by hand: it runs on every event the rule
// matches and must cost a hash and two compares.
type beyondBusiest struct {
	key, of Field
	slots   []beyondSlot
}

type beyondSlot struct {
	key, cand uint64 // hashes of the key and of its candidate value
	votes     uint32
}

const (
	beyondSlots = 4096 // a power of two
	beyondVotes = 64
)

func newBeyondBusiest(key, of Field) *beyondBusiest {
	return &beyondBusiest{key: key, of: of, slots: make([]beyondSlot, beyondSlots)}
}

// keep reports whether the rule counts ev: false for an event of its
// key's busiest value. An event without the key or the value is kept (the
// rule counts no key for it anyway).
func (b *beyondBusiest) keep(ev *Event) bool {
	k, v := b.key.get(ev), b.of.get(ev)
	if len(k) == 0 || len(v) == 0 {
		return true
	}
	// The slot from a hash that is the same in every run, so that replays
	// repeat (keyHash is seeded per process); the value is only compared,
	// and its hash is the one the event computes for every table.
	hk, hv := xxhash.Sum64(k), b.of.hashOf(ev, v)
	s := &b.slots[hk&(beyondSlots-1)]
	switch {
	case s.key != hk || s.votes == 0:
		*s = beyondSlot{key: hk, cand: hv, votes: 1}
		return true
	case s.cand == hv:
		if s.votes < beyondVotes {
			s.votes++
		}
		return false
	default:
		s.votes--
		return true
	}
}
