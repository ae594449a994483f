package links

import (
	"time"

	"github.com/sentinel-dev/sentinel/internal/auditlog"
)

// AuditFile is the name of the links' audit log in the state directory.
const AuditFile = "links.jsonl"

// Outcomes of a request to a link, in the audit log and in the metric
// sentinel_link_requests_total.
const (
	OutcomeShown       = "shown"        // GET: the confirmation page
	OutcomePreview     = "preview"      // a link previewer or prefetch: a page without details, and no form
	OutcomeOK          = "ok"           // POST: done
	OutcomeFailed      = "failed"       // POST: tried, and it failed (the action's request)
	OutcomeRefused     = "refused"      // not possible now: a removed action or rule, a remedy on already, the pause
	OutcomeInvalid     = "invalid"      // not a link of this site's key: tampered, another site's, a rotated key
	OutcomeExpired     = "expired"      // past its expiry, or issued before the used-links list was lost
	OutcomeUsed        = "used"         // used already
	OutcomeCSRF        = "csrf"         // a POST without the page's form token, or from another origin
	OutcomeRateLimited = "rate_limited" // over the per-address rate
)

// Outcomes lists every outcome, for the metrics.
var Outcomes = []string{OutcomeShown, OutcomePreview, OutcomeOK, OutcomeFailed, OutcomeRefused, OutcomeInvalid,
	OutcomeExpired, OutcomeUsed, OutcomeCSRF, OutcomeRateLimited}

// Entry is one line of the links' audit log: one request to a link,
// whatever came of it. It never holds a token: LinkID names one without
// being one.
type Entry struct {
	At        time.Time `json:"at"` // wall time, UTC
	Method    string    `json:"method"`
	ClientIP  string    `json:"client_ip"`
	UserAgent string    `json:"user_agent,omitempty"` // sanitised, cut
	Outcome   string    `json:"outcome"`
	// Reason says why, for every outcome but ok and shown.
	Reason string `json:"reason,omitempty"`
	// The link's fields, when it could be decoded.
	LinkID  string    `json:"link_id,omitempty"`
	Verb    string    `json:"verb,omitempty"`
	Target  string    `json:"target,omitempty"`
	Episode string    `json:"episode,omitempty"`
	Route   string    `json:"route,omitempty"`
	Issued  time.Time `json:"issued,omitzero"`
	Expires time.Time `json:"expires,omitzero"`
	// Detail says what was done: "PATCH https://flags.example.com/… 200",
	// "signup-burst silenced until 2026-11-27T04:12:00Z".
	Detail string `json:"detail,omitempty"`
}

// Audit appends entries as JSON lines to a file (mode 0600), rotated to a
// ".1" file past 10 MiB, and keeps the last few hundred in memory,
// read back from the file when it opens, so that a confirmation page can
// say who else acted on an incident, across restarts. It is safe for
// concurrent use.
type Audit struct {
	log *auditlog.Log[Entry]
}

// Bounds of an [Audit].
const (
	auditMaxBytes = 10 << 20
	auditRecent   = 500
	// auditTailBytes is how much of an existing file is read back.
	auditTailBytes = 256 << 10
)

// OpenAudit opens (or creates) the audit log at path; "" keeps entries in
// memory only.
func OpenAudit(path string) (*Audit, error) {
	l, err := auditlog.Open[Entry](path, auditlog.Options{Name: "links audit", MaxBytes: auditMaxBytes, Recent: auditRecent, ReadBack: auditTailBytes})
	if err != nil {
		return nil, err
	}
	return &Audit{log: l}, nil
}

// Record appends e. A write failure is returned; the entry is still kept
// in memory.
func (a *Audit) Record(e Entry) error { return a.log.Record(e) }

// Acted returns the recent entries of an incident that did something or
// tried to (ok and failed), oldest first.
func (a *Audit) Acted(episode string) []Entry {
	var out []Entry
	for _, e := range a.log.Recent() {
		if e.Episode == episode && (e.Outcome == OutcomeOK || e.Outcome == OutcomeFailed) {
			out = append(out, e)
		}
	}
	return out
}

// UsedAt returns the entry of the link id's successful or failed use, and
// whether the recent entries hold one.
func (a *Audit) UsedAt(id string) (Entry, bool) {
	recent := a.log.Recent()
	for i := len(recent) - 1; i >= 0; i-- {
		if e := recent[i]; e.LinkID == id && (e.Outcome == OutcomeOK || e.Outcome == OutcomeFailed) {
			return e, true
		}
	}
	return Entry{}, false
}

// Recent returns the last entries recorded, oldest first.
func (a *Audit) Recent() []Entry { return a.log.Recent() }

// Close closes the file; safe to call twice.
func (a *Audit) Close() error { return a.log.Close() }
