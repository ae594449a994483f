package fleet

import "time"

// Modes of a node: the Mode of its [Status].
const (
	// ModeJoining is a node that has not reached Redis yet (for at most a
	// second): it holds its fleet rules' local transitions.
	ModeJoining = "joining"
	// ModeFleet is a node whose fleet rules are evaluated over the whole
	// fleet by the evaluator; its own engine's transitions of those rules
	// are held back.
	ModeFleet = "fleet"
	// ModeLocal is a node fallen back to its local rules: it notifies and
	// acts on its own log, every rule included, until fleet mode resumes.
	ModeLocal = "local"
)

// Status is a node's view of its fleet, for the status API.
type Status struct {
	Site  string `json:"site"`
	Node  string `json:"node"`
	Redis string `json:"redis"` // the URL, its password and query left out
	// Mode is joining, fleet or local (see [ModeFleet]), since Since;
	// Reason says why a node is local.
	Mode   string    `json:"mode"`
	Since  time.Time `json:"since"`
	Reason string    `json:"reason,omitempty"`
	// Evaluator names the node holding the lease; Evaluating says it is
	// this one, with fencing token Token.
	Evaluator  string `json:"evaluator,omitempty"`
	Evaluating bool   `json:"evaluating"`
	Token      int64  `json:"token,omitempty"`
	// RTTSeconds is the last publishing round trip's time to Redis.
	RTTSeconds float64 `json:"rtt_seconds"`
	// Clock is this node's event clock; Evaluated the newest boundary the
	// fleet's evaluator has evaluated.
	Clock     time.Time `json:"clock,omitzero"`
	Evaluated time.Time `json:"evaluated,omitzero"`
	// Nodes are the nodes Redis heard from in the last minute.
	Nodes []NodeStatus `json:"nodes"`
	// Backlog is the deltas waiting; Late, Dropped and Unconfirmed count
	// the deltas not added to the fleet's counts (see the Delta outcomes).
	Backlog     int    `json:"backlog"`
	Late        uint64 `json:"late"`
	Dropped     uint64 `json:"dropped"`
	Unconfirmed uint64 `json:"unconfirmed"`
	// Firing are the fleet rules firing, as the evaluator last committed
	// them (on the evaluator only).
	Firing []string `json:"firing,omitempty"`
}

// NodeStatus is one node of the fleet.
type NodeStatus struct {
	Name string `json:"name"`
	// LastSeenSeconds is how long ago Redis heard from it.
	LastSeenSeconds float64 `json:"last_seen_seconds"`
	// Clock is its event clock: how far its log has been read.
	Clock time.Time `json:"clock,omitzero"`
}
