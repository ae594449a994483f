package slidinghll

import (
	"bytes"
	"errors"
	"flag"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden encodings in testdata")

// goldenWindows returns windows in each state the encoding knows, built
// deterministically.
func goldenWindows(tb testing.TB) map[string]*Window {
	tb.Helper()
	advanced := New(60)
	advanced.Advance(-42)

	sparse := New(3600)
	for i := range uint64(300) {
		step := int64(1_000_000 + i/10)
		if i%7 == 0 {
			step -= 25 // late
		}
		sparse.Insert(step, mix(i%220)) // repeats
	}

	dense := New(10)
	for i := range uint64(7000) {
		dense.Insert(int64(i/1000), mix(i))
	}

	recording := New(10)
	for i := range uint64(6200) {
		recording.Insert(0, mix(i))
	}
	for step := int64(1); step <= 13; step++ {
		for i := range uint64(5) {
			recording.Insert(step, mix(1<<32+uint64(step)*5+i))
		}
	}
	switch {
	case sparse.dn != nil || sparse.sp == nil:
		tb.Fatal("sparse window not sparse")
	case dense.dn == nil || dense.sp != nil:
		tb.Fatal("dense window not dense, or recording")
	case recording.dn == nil || recording.sp == nil || recording.sp.len() == 0:
		tb.Fatal("recording window not recording")
	}
	return map[string]*Window{"new": New(60), "advanced": advanced, "sparse": sparse, "dense": dense, "recording": recording}
}

// TestWindow_AppendBinary_golden pins the encoding: a change of format
// needs a new version, and `go test ./detector/slidinghll -update`
// rewrites testdata/*.window once it has one.
func TestWindow_AppendBinary_golden(t *testing.T) {
	for name, w := range goldenWindows(t) {
		t.Run(name, func(t *testing.T) {
			got, err := w.AppendBinary([]byte("prefix"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(got, []byte("prefix")) {
				t.Fatal("AppendBinary lost the buffer's bytes")
			}
			got = got[len("prefix"):]
			path := filepath.Join("testdata", name+".window")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("encoding of %s (%d bytes) differs from %s (%d bytes)", name, len(got), path, len(want))
			}
			var back Window
			if err := back.UnmarshalBinary(want); err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, &back)
			if back.Estimate() != w.Estimate() || back.Span() != w.Span() {
				t.Errorf("decoded: Estimate() %d Span() %d, want %d %d", back.Estimate(), back.Span(), w.Estimate(), w.Span())
			}
			if again, _ := back.MarshalBinary(); !bytes.Equal(again, want) {
				t.Error("decoded window encodes differently")
			}
		})
	}
}

// TestWindow_UnmarshalBinary_roundTrip continues a window and its decoded
// copy with the same inserts, across the sparse, dense and recording
// states: they must stay equal, estimate and encoding.
func TestWindow_UnmarshalBinary_roundTrip(t *testing.T) {
	for name, w := range goldenWindows(t) {
		t.Run(name, func(t *testing.T) {
			b, err := w.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var c Window
			if err := c.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			newest, _ := w.Newest()
			for i := range uint64(20_000) {
				step := newest + int64(i/500)
				if i%9 == 0 {
					step -= int64(i % 13)
				}
				h := mix(i % 9000)
				if w.Insert(step, h) != c.Insert(step, h) {
					t.Fatalf("insert %d: Insert results differ", i)
				}
				if i%1000 == 999 {
					checkInvariants(t, &c)
					wb, _ := w.MarshalBinary()
					cb, _ := c.MarshalBinary()
					if w.Estimate() != c.Estimate() || !bytes.Equal(wb, cb) {
						t.Fatalf("insert %d: Estimate() %d and %d, encodings equal %v", i, w.Estimate(), c.Estimate(), bytes.Equal(wb, cb))
					}
				}
			}
		})
	}
}

// TestWindow_UnmarshalBinary_errors checks that bad encodings are refused
// with the right error and leave the receiver as it was.
func TestWindow_UnmarshalBinary_errors(t *testing.T) {
	good := goldenWindows(t)
	enc := func(name string) []byte {
		b, err := good[name].MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	sparse, dense := enc("sparse"), enc("dense")
	tests := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrInvalid},
		{"version 2", []byte{2, 60, 0, 0}, ErrVersion},
		{"span 0", []byte{1, 0, 0, 0}, ErrInvalid},
		{"span over MaxSpan", []byte{1, 0x81, 0x80, 0x80, 0x08, 0, 0}, ErrInvalid},
		{"padded span", []byte{1, 0xbc, 0x00, 0, 0}, ErrInvalid},
		{"newest flag 2", []byte{1, 60, 2, 0}, ErrInvalid},
		{"values without newest", []byte{1, 60, 0, formSparse, 1, 2, 0}, ErrInvalid},
		{"form 3", []byte{1, 60, 1, 0, 3}, ErrInvalid},
		{"empty sparse", []byte{1, 60, 1, 0, formSparse, 0}, ErrInvalid},
		{"sparse key 0", []byte{1, 60, 1, 0, formSparse, 1, 0, 0}, ErrInvalid},
		{"sparse key repeated", []byte{1, 60, 1, 0, formSparse, 2, 2, 0, 0, 0}, ErrInvalid},
		{"sparse age past the window", []byte{1, 60, 1, 0, formSparse, 1, 2, 60}, ErrInvalid},
		{"too many keys for the bytes", []byte{1, 60, 1, 0, formSparse, 0x80, 0x30, 2, 0}, ErrInvalid},
		{"no registers", []byte{1, 60, 1, 0, formDense, 0, 0}, ErrInvalid},
		{"register past 2^14", []byte{1, 60, 1, 0, formDense, 1, 0x80, 0x80, 0x01, 1, 0, 1, 0}, ErrInvalid},
		{"rank 0", []byte{1, 60, 1, 0, formDense, 1, 5, 1, 0, 0, 0}, ErrInvalid},
		{"rank 52", []byte{1, 60, 1, 0, formDense, 1, 5, 1, 0, 52, 0}, ErrInvalid},
		{"ranks not decreasing", []byte{1, 60, 1, 0, formDense, 1, 5, 2, 3, 4, 1, 4, 0}, ErrInvalid},
		{"pairs at one step", []byte{1, 60, 1, 0, formDense, 1, 5, 2, 3, 4, 0, 3, 0}, ErrInvalid},
		{"pair after newest", []byte{1, 60, 1, 0, formDense, 1, 5, 2, 3, 4, 4, 3, 0}, ErrInvalid},
		{"recording past the window", []byte{1, 60, 1, 0, formDense, 1, 5, 1, 3, 4, 1, 60, 0}, ErrInvalid},
		{"recorded key not in the registers", []byte{1, 60, 1, 0, formDense, 1, 5, 1, 3, 4, 1, 10, 1, 2, 0}, ErrInvalid},
		{"recorded key before the recording", []byte{1, 60, 1, 0, formDense, 1, 0, 1, 3, 40, 1, 2, 1, 2, 2}, ErrInvalid},
		{"sparse age before the oldest int64", []byte{1, 60, 1, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, formSparse, 1, 2, 3}, ErrInvalid},
		{"pair age before the oldest int64", []byte{1, 60, 1, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, formDense, 1, 5, 1, 3, 4, 0}, ErrInvalid},
		{"trailing byte", append(append([]byte(nil), sparse...), 0), ErrInvalid},
		{"truncated sparse", sparse[:len(sparse)-1], ErrInvalid},
		{"truncated dense", dense[:len(dense)/2], ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := good["sparse"]
			before, _ := w.MarshalBinary()
			err := w.UnmarshalBinary(tt.data)
			if !errors.Is(err, tt.want) {
				t.Fatalf("UnmarshalBinary() = %v, want %v", err, tt.want)
			}
			if after, _ := w.MarshalBinary(); !bytes.Equal(after, before) {
				t.Error("UnmarshalBinary changed the window on error")
			}
		})
	}
	var zero Window
	if _, err := zero.AppendBinary(nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("zero Window: AppendBinary() = %v, want ErrInvalid", err)
	}
}

// TestWindow_UnmarshalBinary_allocations checks that a short encoding
// that claims many entries allocates nothing in proportion to the claim.
func TestWindow_UnmarshalBinary_allocations(t *testing.T) {
	for _, data := range [][]byte{
		{1, 60, 1, 0, formSparse, 0x80, 0x30, 2, 0},         // 6144 keys in 2 bytes
		{1, 60, 1, 0, formDense, 0x80, 0x80, 0x01, 0, 1, 0}, // 16384 registers in 4 bytes
		{1, 60, 1, 0, formDense, 1, 0, 51, 1, 1},            // 51 pairs in 2 bytes
	} {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		var w Window
		if err := w.UnmarshalBinary(data); !errors.Is(err, ErrInvalid) {
			t.Fatalf("UnmarshalBinary(% x) = %v, want ErrInvalid", data, err)
		}
		runtime.ReadMemStats(&ms)
		if got := ms.TotalAlloc - before; got > 100<<10 {
			t.Errorf("UnmarshalBinary(% x) allocated %d bytes", data, got)
		}
	}
}

// FuzzWindow_UnmarshalBinary feeds arbitrary bytes to UnmarshalBinary:
// it never panics; what it accepts is a consistent window whose encoding
// is the input (the encoding is canonical), and which goes on working.
func FuzzWindow_UnmarshalBinary(f *testing.F) {
	for _, name := range []string{"new", "advanced", "sparse", "dense", "recording"} {
		b, err := os.ReadFile(filepath.Join("testdata", name+".window"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, newest := range []int64{math.MinInt64 + 1, math.MaxInt64} { // ages at the ends of int64
		for _, n := range []uint64{1, 7000} { // sparse, dense
			w := New(60)
			for i := range n {
				w.Insert(newest-int64(i%3), mix(i))
			}
			b, err := w.MarshalBinary()
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var w Window
		if err := w.UnmarshalBinary(data); err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrVersion) {
				t.Fatalf("UnmarshalBinary() = %v: neither ErrInvalid nor ErrVersion", err)
			}
			return
		}
		checkInvariants(t, &w)
		b, err := w.MarshalBinary()
		if err != nil || !bytes.Equal(b, data) {
			t.Fatalf("accepted % x, encodes as % x (%v)", data, b, err)
		}
		newest, _ := w.Newest()
		for i := range uint64(50) {
			w.Insert(newest-int64(i%5)+int64(i/10), mix(i))
		}
		w.Advance(newest + w.Span()/2)
		w.Estimate()
		checkInvariants(t, &w)
	})
}
