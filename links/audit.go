package links

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
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
	mu       sync.Mutex // guards the fields below
	path     string
	f        *os.File
	size     int64
	maxBytes int64
	recent   []Entry
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
	a := &Audit{path: path, maxBytes: auditMaxBytes}
	if path == "" {
		return a, nil
	}
	if err := a.open(); err != nil {
		return nil, err
	}
	a.readTail()
	return a, nil
}

func (a *Audit) open() error {
	f, err := os.OpenFile(a.path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open links audit: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open links audit: %w", err)
	}
	a.f, a.size = f, st.Size()
	return nil
}

// readTail loads the last entries of the file into recent; lines it
// cannot decode (a torn last line) are skipped.
func (a *Audit) readTail() {
	off := max(a.size-auditTailBytes, 0)
	sc := bufio.NewScanner(io.NewSectionReader(a.f, off, a.size-off))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	first := off > 0
	for sc.Scan() {
		if first { // the first line of a tail may be cut
			first = false
			continue
		}
		var e Entry
		if json.Unmarshal(sc.Bytes(), &e) == nil {
			a.keep(e)
		}
	}
}

// keep adds e to recent. The caller holds mu (or owns a).
func (a *Audit) keep(e Entry) {
	a.recent = append(a.recent, e)
	if len(a.recent) > auditRecent {
		a.recent = a.recent[len(a.recent)-auditRecent:]
	}
}

// Record appends e. A write failure is returned; the entry is still kept
// in memory.
func (a *Audit) Record(e Entry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.keep(e)
	if a.path == "" {
		return nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("links audit: %w", err)
	}
	b = append(b, '\n')
	if a.f == nil || a.size+int64(len(b)) > a.maxBytes {
		if err := a.rotate(); err != nil {
			return err
		}
	}
	n, err := a.f.Write(b)
	a.size += int64(n)
	if err != nil {
		return fmt.Errorf("write links audit: %w", err)
	}
	return nil
}

// rotate moves a full log to path.1 and starts a new one.
func (a *Audit) rotate() error {
	if a.f != nil {
		a.f.Close()
		a.f = nil
		if a.size > 0 {
			if err := os.Rename(a.path, a.path+".1"); err != nil {
				return fmt.Errorf("rotate links audit: %w", err)
			}
		}
	}
	return a.open()
}

// Acted returns the recent entries of an incident that did something or
// tried to (ok and failed), oldest first.
func (a *Audit) Acted(episode string) []Entry {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []Entry
	for _, e := range a.recent {
		if e.Episode == episode && (e.Outcome == OutcomeOK || e.Outcome == OutcomeFailed) {
			out = append(out, e)
		}
	}
	return out
}

// UsedAt returns the entry of the link id's successful or failed use, and
// whether the recent entries hold one.
func (a *Audit) UsedAt(id string) (Entry, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for i := len(a.recent) - 1; i >= 0; i-- {
		if e := a.recent[i]; e.LinkID == id && (e.Outcome == OutcomeOK || e.Outcome == OutcomeFailed) {
			return e, true
		}
	}
	return Entry{}, false
}

// Recent returns the last entries recorded, oldest first.
func (a *Audit) Recent() []Entry {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]Entry(nil), a.recent...)
}

// Close closes the file; safe to call twice.
func (a *Audit) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.f == nil {
		return nil
	}
	err := a.f.Close()
	a.f, a.path = nil, ""
	return err
}
