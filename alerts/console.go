package alerts

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"

	"github.com/sentinel-dev/sentinel/alert"
)

// Output is how [Console] writes alerts.
type Output string

// Console outputs.
const (
	// Text is a timeline for people.
	Text Output = "text"
	// JSON is one object per transition and line, with the fields
	// docs/json.md promises.
	JSON Output = "json"
)

// Console writes alert transitions to a terminal or a pipe. It is safe
// for concurrent use.
type Console struct {
	mu  sync.Mutex // guards w
	w   io.Writer
	out Output
}

// NewConsole returns a Console writing to w in the given output.
func NewConsole(w io.Writer, out Output) *Console {
	return &Console{w: w, out: out}
}

// Notify writes one transition.
func (c *Console) Notify(_ context.Context, a alert.Alert) error {
	var b []byte
	if c.out == JSON {
		var err error
		if b, err = json.Marshal(newJSONAlert(a)); err != nil {
			return fmt.Errorf("encode alert: %w", err)
		}
		b = append(b, '\n')
	} else {
		b = []byte(FormatText(a))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := c.w.Write(b); err != nil {
		return fmt.Errorf("write alert: %w", err)
	}
	return nil
}

// jsonAlert adds the window in seconds to the JSON form.
type jsonAlert struct {
	alert.Alert

	WindowSeconds float64 `json:"window_seconds"`
}

// newJSONAlert returns a's JSON form. A threshold still learned (+Inf)
// is written as 0: JSON has no infinity.
func newJSONAlert(a alert.Alert) jsonAlert {
	a.Threshold = finite(a.Threshold, 0)
	return jsonAlert{Alert: a, WindowSeconds: a.Window.Seconds()}
}
