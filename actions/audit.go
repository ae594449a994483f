package actions

import (
	"time"

	"github.com/sentinel-dev/sentinel/internal/auditlog"
	"github.com/sentinel-dev/sentinel/internal/delivery"
)

// Entry is one line of the audit log: an attempt to apply or revert an
// action, or an application a guardrail held back.
type Entry struct {
	At        time.Time        `json:"at"`         // wall time of the attempt
	EventTime time.Time        `json:"event_time"` // log time of the alert or the due revert
	Action    string           `json:"action"`
	Phase     Phase            `json:"phase"`
	Rule      string           `json:"rule"`
	Outcome   delivery.Outcome `json:"outcome"` // one of delivery.ActionOutcomes, or Planned

	Reason  string `json:"reason,omitempty"`
	Request string `json:"request"` // method and URL or command, redacted
	Attempt int    `json:"attempt,omitempty"`
	Status  int    `json:"status,omitempty"` // HTTP status
	Output  string `json:"output,omitempty"`
	Error   string `json:"error,omitempty"`
	Key     string `json:"idempotency_key,omitempty"`
	// By says who asked for a step a person requested ("a link sent to
	// slack"); empty for the steps a rule's firing or quiet made.
	By string `json:"by,omitempty"`
}

// DefaultAuditMaxBytes is the size at which the audit log is rotated to
// a ".1" file (one generation is kept).
const DefaultAuditMaxBytes = 10 << 20

// recentEntries is how many entries an Audit keeps for the status API.
const recentEntries = 50

// Audit appends entries as JSON lines to a file (mode 0600, rotated to a
// ".1" file past [DefaultAuditMaxBytes]) and keeps the last few in
// memory. It is safe for concurrent use.
type Audit struct {
	log *auditlog.Log[Entry]
}

// NewAudit returns an audit log appending to the file at path, created
// with the first entry; "" keeps entries in memory only.
func NewAudit(path string) *Audit {
	return &Audit{log: auditlog.New[Entry](path, auditlog.Options{Name: "audit log", MaxBytes: DefaultAuditMaxBytes, Recent: recentEntries})}
}

// Record appends e. A write failure is returned; the entry is still kept
// in memory for the status API.
func (a *Audit) Record(e Entry) error { return a.log.Record(e) }

// Recent returns the last entries recorded, oldest first.
func (a *Audit) Recent() []Entry { return a.log.Recent() }

// Close closes the file; safe to call twice.
func (a *Audit) Close() error { return a.log.Close() }
