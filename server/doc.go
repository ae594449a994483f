// Package server is the daemon's local HTTP API: health, Prometheus
// metrics, a JSON status and a config reload, plus the client and the text
// rendering `sentinel status` and `sentinel reload` use.
//
// It listens on loopback unless given a token: [New] refuses a
// non-loopback address without one. It never reads logs, runs rules or
// changes config itself; it asks the daemon through the funcs in
// [Options]. [Metrics] live on their own registry, never the global one.
// Text from log lines (top keys) is attacker-controlled and is escaped
// before it reaches a terminal.
package server
