package tailer

import "time"

// Line is one complete line (without its "\n"), read from a file.
type Line struct {
	// Path is the path it was read from: the pattern match, not the name
	// a rotated file has now.
	Path string
	// Text is the line, owned by the receiver (a fresh copy).
	Text []byte
	// Pos is the position just after this line: what to save once the line
	// is processed.
	Pos Checkpoint
	// Before is the position just before this line (after any line
	// skipped before it): what to save while the line is taken but not
	// processed yet.
	Before Checkpoint
	// Read is when the line's last bytes were read from the file (the
	// read that completed it), on this machine's clock with its monotonic
	// reading: the start of the line's latency. It is not the line's time
	// (lines without a timestamp take the reader's injected clock).
	Read time.Time
}
