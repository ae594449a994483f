package source

import (
	"fmt"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/parsers"
)

func TestStream(t *testing.T) {
	var paths []string
	s := NewStream("access.log", Options{Now: time.Now}, func(ev *parsers.Event) { paths = append(paths, string(ev.Path)) })
	for i := range 3 {
		s.Line([]byte(fmt.Sprintf(`203.0.113.7 - - [27/Nov/2026:01:20:0%d +0000] "GET /p%d HTTP/1.1" 200 1 "-" "x"`, i, i)))
	}
	if len(paths) != 0 {
		t.Fatalf("events before the format is known: %v", paths)
	}
	s.Settle() // the file went quiet
	s.Line([]byte(`203.0.113.7 - - [27/Nov/2026:01:20:09 +0000] "GET /p3 HTTP/1.1" 200 1 "-" "x"`))
	s.Line([]byte(`garbage`))
	s.Flush()
	if fmt.Sprint(paths) != "[/p0 /p1 /p2 /p3]" {
		t.Errorf("paths = %v", paths)
	}
	st := s.Stats()
	if st.Format != "combined" || !st.Detected || st.Lines != 5 || st.Parsed != 4 || st.Malformed != 1 {
		t.Errorf("stats = %+v", st)
	}
	if len(st.Errors) != 1 || st.Errors[0].Error() != "access.log:5: malformed line: not combined" {
		t.Errorf("errors = %v", st.Errors)
	}
}

func TestStream_givenFormatAndUnknown(t *testing.T) {
	n := 0
	s := NewStream("a.log", Options{Format: "combined"}, func(*parsers.Event) { n++ })
	s.Line([]byte(`203.0.113.7 - - [27/Nov/2026:01:20:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"`))
	if n != 1 {
		t.Errorf("a given format held the line: %d events", n)
	}
	u := NewStream("notes.txt", Options{}, func(*parsers.Event) { n++ })
	u.Line([]byte("dear diary"))
	u.Settle()
	u.Line([]byte("nothing happened"))
	if u.Err() == nil || u.Stats().Malformed != 2 {
		t.Errorf("unknown format: err %v, stats %+v", u.Err(), u.Stats())
	}
}
