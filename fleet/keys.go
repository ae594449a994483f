package fleet

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/sentinel-dev/sentinel/detector"
)

// keys names one site's keys in Redis. Every key is under
// "sentinel:{SITE}:": the braces make the site a Redis Cluster hash tag,
// so that a site's keys share one slot and the multi-key commands of an
// evaluation (MGET, PFCOUNT of a window) work there too. A site's name
// is checked ([CheckName]) so that it cannot reach into another's keys,
// and a node only ever reads keys it names itself: never KEYS or SCAN.
type keys struct{ prefix string }

func newKeys(site string) keys { return keys{prefix: "sentinel:{" + site + "}:"} }

// lease holds "TOKEN:INSTANCE" of the evaluator; token is the counter
// the fencing tokens come from.
func (k keys) lease() string { return k.prefix + "lease" }
func (k keys) token() string { return k.prefix + "token" }

// state holds the evaluator's alert state (JSON), evaluated the newest
// boundary it evaluated (Unix ms).
func (k keys) state() string     { return k.prefix + "state" }
func (k keys) evaluated() string { return k.prefix + "evaluated" }

// nodes is a sorted set of node names scored by when Redis last heard
// from them (its own clock, in ms); clocks a hash of each node's event
// clock (Unix ms).
func (k keys) nodes() string  { return k.prefix + "nodes" }
func (k keys) clocks() string { return k.prefix + "clocks" }

// Step keys, per rule and bucket: the count (INCRBY), the hits of a
// ratio rule, the HyperLogLog of the distinct field, the top keys (a
// sorted set trimmed to maxStepKeys), and the evidence's counts (INCRBY):
// the events from cold addresses, those and the ones posted without a
// person's pause, the events of critical_when's share.of, the HyperLogLog
// of the user agents and the events from a native app (clients_per_agent);
// and, for a rule that follows the traffic (follow_traffic), every event
// the nodes counted in the step, whatever the rule counts.
func (k keys) count(rule string, b int64) string  { return k.step("c:", rule, b) }
func (k keys) hits(rule string, b int64) string   { return k.step("h:", rule, b) }
func (k keys) hll(rule string, b int64) string    { return k.step("d:", rule, b) }
func (k keys) top(rule string, b int64) string    { return k.step("k:", rule, b) }
func (k keys) cold(rule string, b int64) string   { return k.step("w:", rule, b) }
func (k keys) of(rule string, b int64) string     { return k.step("o:", rule, b) }
func (k keys) rush(rule string, b int64) string   { return k.step("r:", rule, b) }
func (k keys) agents(rule string, b int64) string { return k.step("a:", rule, b) }
func (k keys) app(rule string, b int64) string    { return k.step("p:", rule, b) }
func (k keys) all(rule string, b int64) string    { return k.step("t:", rule, b) }

func (k keys) step(kind, rule string, b int64) string {
	return k.prefix + kind + rule + ":" + strconv.FormatInt(b, 10)
}

// maxStepKeys bounds the top keys kept per rule and step.
const maxStepKeys = 64

// fleetRule is a fleet rule as a node publishes and evaluates it.
type fleetRule struct {
	rule  detector.Rule
	key   string        // its part of the step keys
	width time.Duration // bucket width: the step of its keys
	nb    int64         // buckets per window
	ttl   time.Duration // how long its step keys live
}

// maxCatchUp is how far back an evaluator that finds the fleet's
// evaluation behind (after an outage of Redis or of every node) goes
// over the boundaries missed; older ones are skipped. Step keys outlive
// their window by this much.
const maxCatchUp = 2 * time.Minute

func newFleetRule(r detector.Rule, res time.Duration) *fleetRule {
	w := r.BucketWidth(res)
	return &fleetRule{rule: r, key: ruleKey(r), width: w, nb: int64(r.Window / w), ttl: r.Window + 2*w + maxCatchUp}
}

// ruleKey is a rule's part of its keys: its name cut to a name's alphabet
// (readable in redis-cli) and a hash of its name and definition, so that
// nodes running another definition of a rule (a config being rolled out)
// count apart instead of mixing.
func ruleKey(r detector.Rule) string {
	b := []byte(r.Name)
	if len(b) > 40 {
		b = b[:40]
	}
	for i, c := range b {
		if !nameByte(c) {
			b[i] = '_'
		}
	}
	sum := sha256.Sum256([]byte(r.Name + "\x00" + r.Fingerprint))
	return string(b) + "." + hex.EncodeToString(sum[:5])
}
