package auditlog

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type entry struct {
	N    int    `json:"n"`
	Text string `json:"text,omitempty"`
}

func opts() Options { return Options{Name: "test log", MaxBytes: 1 << 20, Recent: 3} }

// lines returns the entries of a file.
func lines(t *testing.T, path string) []entry {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []entry
	for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
		var e entry
		if err := json.Unmarshal(l, &e); err != nil {
			t.Fatalf("%s: line %q: %v", path, l, err)
		}
		out = append(out, e)
	}
	return out
}

// TestLog_Record: entries go to the file, created with the first one at
// mode 0600, and the last Recent stay in memory.
func TestLog_Record(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.jsonl")
	l := New[entry](path, opts())
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("file exists before the first entry: %v", err)
	}
	for i := range 5 {
		if err := l.Record(entry{N: i}); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close() = %v", err)
	}
	if diff := cmp.Diff([]entry{{N: 0}, {N: 1}, {N: 2}, {N: 3}, {N: 4}}, lines(t, path)); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]entry{{N: 2}, {N: 3}, {N: 4}}, l.Recent()); diff != "" {
		t.Errorf("Recent() (-want +got):\n%s", diff)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, %v; want 0600", st.Mode().Perm(), err)
	}
}

// TestLog_rotate: past MaxBytes the file moves to path.1, one generation
// kept, and no entry is split between the two.
func TestLog_rotate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.jsonl")
	line, _ := json.Marshal(entry{N: 0})
	o := opts()
	o.MaxBytes = int64(3 * (len(line) + 1)) // three entries a file
	l := New[entry](path, o)
	for i := range 8 {
		if err := l.Record(entry{N: i}); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	if diff := cmp.Diff([]entry{{N: 6}, {N: 7}}, lines(t, path)); diff != "" {
		t.Errorf("file (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]entry{{N: 3}, {N: 4}, {N: 5}}, lines(t, path+".1")); diff != "" {
		t.Errorf("file.1 (-want +got):\n%s", diff)
	}
}

// TestOpen_readBack: Open reads the tail of an existing file back,
// skipping the cut first line of the tail and a torn last line, and
// appends after it.
func TestOpen_readBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.jsonl")
	var b strings.Builder
	for i := range 10 {
		fmt.Fprintf(&b, `{"n":%d,"text":"%s"}`+"\n", i, strings.Repeat("x", 20))
	}
	b.WriteString(`{"n":99,"te`) // torn by a crash
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	o := opts()
	o.Recent, o.ReadBack = 100, 100 // about three lines, the first cut
	l, err := Open[entry](path, o)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	x := strings.Repeat("x", 20)
	if diff := cmp.Diff([]entry{{N: 8, Text: x}, {N: 9, Text: x}}, l.Recent()); diff != "" {
		t.Errorf("Recent() after Open (-want +got):\n%s", diff)
	}
	if err := l.Record(entry{N: 10}); err != nil {
		t.Fatal(err)
	}
	if got := l.Recent(); len(got) != 3 || got[2].N != 10 {
		t.Errorf("Recent() = %v, want the new entry last", got)
	}
}

// TestLog_memoryOnly: without a path, entries are kept in memory and
// nothing is written.
func TestLog_memoryOnly(t *testing.T) {
	l, err := Open[entry]("", opts())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Record(entry{N: 1}); err != nil {
		t.Fatal(err)
	}
	if got := l.Recent(); len(got) != 1 {
		t.Errorf("Recent() = %v", got)
	}
	if err := l.Close(); err != nil {
		t.Error(err)
	}
}

// TestLog_errors name the log and the operation.
func TestLog_errors(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "a.jsonl")
	l := New[entry](path, opts())
	err := l.Record(entry{N: 1})
	if err == nil || !strings.HasPrefix(err.Error(), "open test log: ") {
		t.Errorf("Record() = %v, want an error opening the test log", err)
	}
	if got := l.Recent(); len(got) != 1 {
		t.Errorf("Recent() = %v, want the entry kept in memory", got)
	}
	if _, err := Open[entry](path, opts()); err == nil || !strings.HasPrefix(err.Error(), "open test log: ") {
		t.Errorf("Open() = %v", err)
	}
}
