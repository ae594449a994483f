// Package fleet lets sentinels on several servers behind one load
// balancer see one site, through Redis (or Valkey).
//
// Each node keeps running its own engine over its own log. For the rules
// marked fleet (Rule.Fleet) the engine hands over what it counted in each
// bucket as the bucket completes (detector.Delta), and the node publishes
// a step's deltas in one pipelined round trip: INCRBY and PEXPIRE of
// step-keyed counters (the events, a ratio's hits, the evidence's cold,
// hasty and native-app posts and share.of events, and with follow_traffic
// every event the node counted), PFADD of the distinct values' hashes into
// step-keyed HyperLogLogs (a window is the PFCOUNT union of its steps, so
// Redis does the merge), and ZINCRBY into step-keyed sorted sets of the
// busiest keys, trimmed. Every key is under sentinel:{SITE}: and expires
// after its rule's window.
//
// One node, the holder of a lease (SET NX PX, renewed with every
// heartbeat, with a fencing token), evaluates the fleet rules over the
// shared windows at each bucket boundary once every live node has passed
// it (or the skew has elapsed), with the engine's own conditions,
// baselines and alerts (detector.Remote), notifies and acts. It keeps the
// alert state in Redis, written only under its lease, so that a new
// evaluator sends no second firing and loses no resolved. The other
// nodes hold back their own transitions of the fleet rules.
//
// When Redis is down or slow (a round trip fails or takes longer than
// the timeout), when the fleet's evaluation stalls, or when the node's
// log is out of step with the fleet's by more than the skew, the node
// falls back to its local rules within a second and says so once (log,
// status, sentinel_fleet_mode): the fleet rules' local transitions are
// delivered again, starting with a firing it held back. Deltas wait in a
// bounded backlog (the oldest dropped and counted); reading the log never
// waits for Redis. The node retries with backoff and returns to fleet
// mode.
//
// The package never prints a Redis password (see [Redact]) and only reads
// keys it names itself under its own site: no KEYS, no SCAN. It is for
// live mode only: replay never publishes.
package fleet
