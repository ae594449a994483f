package server

import (
	"slices"
	"sync"
	"time"
)

// LatencyStage names one stretch of the way from a log line to what it
// sets off: the stage label of sentinel_latency_seconds, and a row of
// the status's latencies.
type LatencyStage string

// Latency stages, in the order a line's effects happen.
const (
	// LatencyReadToTransition runs from a line read from its file to the
	// alert transition it sets off: decoding, the queue to the engine, the
	// engine. Only transitions made while a line is processed have one.
	LatencyReadToTransition LatencyStage = "read_to_transition"
	// LatencyTransitionToAction runs from a firing to the request of the
	// action it applies (its first attempt) being made.
	LatencyTransitionToAction LatencyStage = "transition_to_action_request"
	// LatencyActionResponse runs from an action's request being made to
	// its response (an HTTP status, or a program's exit): connecting and
	// the receiver's work.
	LatencyActionResponse LatencyStage = "action_request_to_response"
	// LatencyTransitionToNotification runs from a transition to the
	// notification that tells it being delivered to a notifier: mostly the
	// incident's group wait (settings.group_wait, 10 s by default), then
	// the delivery, retries included.
	LatencyTransitionToNotification LatencyStage = "transition_to_notification"
)

// LatencyStages lists every stage, in order.
var LatencyStages = []LatencyStage{LatencyReadToTransition, LatencyTransitionToAction, LatencyActionResponse,
	LatencyTransitionToNotification}

// LatencyBuckets are sentinel_latency_seconds' bucket bounds, in seconds:
// from a millisecond (a line's way through the engine) to a minute (a
// notification held by its group wait and retried).
var LatencyBuckets = []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15, 30, 60}

// recentSamples is how many of a stage's latest durations the status's
// quantiles are taken from.
const recentSamples = 256

// recent keeps a stage's latest durations in a ring, for quantiles of the
// last few hundred (a histogram's cumulative buckets say nothing of the
// last minutes once it has counted a day). It is safe for concurrent use.
type recent struct {
	mu   sync.Mutex
	ring [recentSamples]time.Duration // guarded by mu
	n    int                          // durations added, ever; guarded by mu
}

func (r *recent) add(d time.Duration) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ring[r.n%recentSamples] = d
	r.n++
}

// quantiles returns the median and 99th percentile (nearest rank) of the
// durations kept, and how many there are.
func (r *recent) quantiles() (p50, p99 time.Duration, samples int) {
	r.mu.Lock()
	samples = min(r.n, recentSamples)
	s := slices.Clone(r.ring[:samples])
	r.mu.Unlock()
	if samples == 0 {
		return 0, 0, 0
	}
	slices.Sort(s)
	rank := func(q float64) time.Duration {
		i := int(q*float64(samples)+0.999999) - 1 // ⌈q·n⌉ - 1
		return s[min(max(i, 0), samples-1)]
	}
	return rank(0.50), rank(0.99), samples
}

// LatencyStatus is one stage's recent latencies for the status API: the
// quantiles of its last samples (at most 256), in seconds.
type LatencyStatus struct {
	Stage LatencyStage `json:"stage"`
	// Samples is how many durations the quantiles are taken from; 0 when
	// the stage has not happened since the start.
	Samples int     `json:"samples"`
	P50     float64 `json:"p50_seconds"`
	P99     float64 `json:"p99_seconds"`
}
