package actions

import (
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"time"

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

// Audit appends entries as JSON lines to a file and keeps the last few
// in memory. It is safe for concurrent use.
type Audit struct {
	mu       sync.Mutex
	path     string
	f        *os.File
	size     int64
	maxBytes int64
	recent   []Entry
}

// NewAudit returns an audit log appending to the file at path, created
// with the first entry; "" keeps entries in memory only.
func NewAudit(path string) *Audit {
	return &Audit{path: path, maxBytes: DefaultAuditMaxBytes}
}

func (a *Audit) open() error {
	f, err := os.OpenFile(a.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open audit log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("open audit log: %w", err)
	}
	a.f, a.size = f, st.Size()
	return nil
}

// Record appends e. A write failure is returned; the entry is still kept
// in memory for the status API.
func (a *Audit) Record(e Entry) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.recent = append(a.recent, e)
	if len(a.recent) > recentEntries {
		a.recent = a.recent[len(a.recent)-recentEntries:]
	}
	if a.path == "" {
		return nil
	}
	b, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
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
		return fmt.Errorf("write audit log: %w", err)
	}
	return nil
}

// rotate moves a full log to path.1 and starts a new one.
func (a *Audit) rotate() error {
	if a.f != nil {
		_ = a.f.Close()
		a.f = nil
		if a.size > 0 {
			if err := os.Rename(a.path, a.path+".1"); err != nil {
				return fmt.Errorf("rotate audit log: %w", err)
			}
		}
	}
	return a.open()
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
	a.f = nil
	a.path = ""
	return err
}
