package parsers

import (
	"testing"
	"time"
)

// This file holds the test helpers of the JSON, logfmt and regex formats.
// Their names carry "Fmt" so as not to clash with the helpers of the
// other formats.

// evView is an [Event] as tests compare it and golden files store it.
type evView struct {
	Kind      string   `json:"kind,omitempty"`
	Time      string   `json:"time,omitempty"`
	ClientIP  string   `json:"client_ip,omitempty"`
	Host      string   `json:"host,omitempty"`
	Method    string   `json:"method,omitempty"`
	Path      string   `json:"path,omitempty"`
	Query     *string  `json:"query,omitempty"`
	Protocol  string   `json:"protocol,omitempty"`
	Status    int      `json:"status,omitempty"`
	Bytes     int64    `json:"bytes"`
	UserAgent string   `json:"user_agent,omitempty"`
	Referer   string   `json:"referer,omitempty"`
	RequestID string   `json:"request_id,omitempty"`
	Duration  string   `json:"duration,omitempty"`
	Level     string   `json:"level,omitempty"`
	Message   string   `json:"message,omitempty"`
	Extra     []string `json:"extra,omitempty"`
}

// viewFmt returns the view of ev. Time is RFC 3339 with nanoseconds and
// "Z", and must be UTC; Duration is time.Duration's String, "" when
// unknown.
func viewFmt(tb testing.TB, ev *Event) evView {
	tb.Helper()
	v := evView{
		Kind:      ev.Kind.String(),
		ClientIP:  string(ev.ClientIP),
		Host:      string(ev.Host),
		Method:    string(ev.Method),
		Path:      string(ev.Path),
		Protocol:  string(ev.Protocol),
		Status:    ev.Status,
		Bytes:     ev.Bytes,
		UserAgent: string(ev.UserAgent),
		Referer:   string(ev.Referer),
		RequestID: string(ev.RequestID),
		Level:     string(ev.Level),
		Message:   string(ev.Message),
	}
	if ev.Query != nil {
		q := string(ev.Query)
		v.Query = &q
	}
	if !ev.Time.IsZero() {
		if ev.Time.Location() != time.UTC {
			tb.Errorf("Time = %v, want UTC", ev.Time)
		}
		v.Time = ev.Time.Format(time.RFC3339Nano)
	}
	if ev.Duration >= 0 {
		v.Duration = ev.Duration.String()
	}
	for _, f := range ev.Extra {
		v.Extra = append(v.Extra, f.Name+"="+string(f.Value))
	}
	return v
}

// decodeFmt decodes line and returns the views of the events it emits.
func decodeFmt(tb testing.TB, d Decoder, line string) ([]evView, error) {
	tb.Helper()
	var got []evView
	err := d.Decode([]byte(line), func(ev *Event) { got = append(got, viewFmt(tb, ev)) })
	return got, err
}

// strp returns a pointer to s, for evView.Query.
func strp(s string) *string { return &s }
