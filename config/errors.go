package config

import (
	"fmt"
	"strings"
)

// Error is one problem in a config file, at a line. It prints as
// `sentinel.yaml:12: rules[0].detector.window: must be at least 1s`.
type Error struct {
	File  string
	Line  int
	Field string // the path of the field at fault, "" for the file as a whole
	Msg   string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in a config, in file order. Load returns
// it whole, so that a user fixes everything in one pass.
type Errors []*Error

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}
