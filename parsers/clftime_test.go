package parsers

import "testing"

// TestSameStamp checks that the word-wise comparison of sameStamp tells
// apart stamps that differ in any one byte.
func TestSameStamp(t *testing.T) {
	const stamp = "10/Oct/2000:13:55:36 -0700"
	var last [clfLen]byte
	copy(last[:], stamp)
	if !sameStamp([]byte(stamp), &last) {
		t.Errorf("sameStamp(%q, %q) = false", stamp, last)
	}
	for i := range clfLen {
		b := []byte(stamp)
		b[i] ^= 1
		if sameStamp(b, &last) {
			t.Errorf("sameStamp(%q, %q) = true", b, last)
		}
	}
}
