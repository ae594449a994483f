package benchlog

import (
	"bytes"
	"os"
	"testing"
)

// TestFiles: a log is written once per (lines, rate, mode), as Write
// writes it, and Remove takes every log and their directory away.
func TestFiles(t *testing.T) {
	var fs Files
	p, err := fs.Path(1000, 500, Sessions)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := fs.Path(1000, 500, Sessions); err != nil || again != p {
		t.Errorf("second Path = %q, %v; want %q again", again, err, p)
	}
	other, err := fs.Path(1000, 500, Flood)
	if err != nil || other == p {
		t.Fatalf("another mode's Path = %q, %v; want a file of its own", other, err)
	}
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := Write(&want, 1000, 500, 1, Sessions); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("the file holds %d bytes, not the %d Write writes", len(got), want.Len())
	}
	dir := fs.dir
	fs.Remove()
	for _, q := range []string{p, other, dir} {
		if _, err := os.Stat(q); !os.IsNotExist(err) {
			t.Errorf("%s after Remove: %v, want it gone", q, err)
		}
	}
}
