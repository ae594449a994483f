package scenario

import (
	"bytes"
	"fmt"
	"strings"
)

// A generated section of a Markdown file lies between two HTML comments,
// "<!-- scenario-matrix:NAME:begin -->" and "<!-- scenario-matrix:NAME:end -->",
// each alone on its line.
func markers(name string) (begin, end []byte) {
	return []byte("<!-- scenario-matrix:" + name + ":begin -->\n"), []byte("<!-- scenario-matrix:" + name + ":end -->")
}

// Section returns the text of the generated section name of doc.
func Section(doc []byte, name string) (string, error) {
	i, j, err := sectionSpan(doc, name)
	if err != nil {
		return "", err
	}
	return string(doc[i:j]), nil
}

// ReplaceSection returns doc with the text of section name replaced by
// body.
func ReplaceSection(doc []byte, name, body string) ([]byte, error) {
	i, j, err := sectionSpan(doc, name)
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), doc[:i]...)
	out = append(out, body...)
	return append(out, doc[j:]...), nil
}

func sectionSpan(doc []byte, name string) (int, int, error) {
	begin, end := markers(name)
	i := bytes.Index(doc, begin)
	if i < 0 {
		return 0, 0, fmt.Errorf("no %q marker", bytes.TrimSpace(begin))
	}
	i += len(begin)
	j := bytes.Index(doc[i:], end)
	if j < 0 {
		return 0, 0, fmt.Errorf("no %q marker after %q", end, bytes.TrimSpace(begin))
	}
	return i, i + j, nil
}

// Diff lists the lines only in want (prefixed "-") and only in got ("+"),
// in their order: enough to review a changed table.
func Diff(want, got string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	w, g := in(want), in(got)
	var b strings.Builder
	for _, l := range strings.Split(want, "\n") {
		if !g[l] {
			b.WriteString("-" + l + "\n")
		}
	}
	for _, l := range strings.Split(got, "\n") {
		if !w[l] {
			b.WriteString("+" + l + "\n")
		}
	}
	return b.String()
}
