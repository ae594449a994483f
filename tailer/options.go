package tailer

import (
	"log/slog"
	"time"
)

// Start says where to begin reading a file that has no [Checkpoint].
type Start int

const (
	// FromEnd skips what a file holds when it is first seen at start-up:
	// only lines appended afterwards are delivered. Files that appear later
	// are always read from their beginning.
	FromEnd Start = iota
	// FromStart reads files from their beginning.
	FromStart
)

// Defaults for [Options].
const (
	// DefaultRotateWait is how long a rotated file is still read.
	DefaultRotateWait = 5 * time.Second
	// DefaultReglob is how often globs are re-expanded.
	DefaultReglob = 10 * time.Second
	// DefaultMaxLineBytes is the longest line delivered (1 MiB).
	DefaultMaxLineBytes = 1 << 20
)

// Options configure a [Tailer].
type Options struct {
	// Patterns are paths or globs (filepath.Glob syntax). Relative ones are
	// made absolute by [New].
	Patterns []string
	// Start applies to files without a checkpoint that exist when Run
	// starts (FromEnd by default).
	Start Start
	// Checkpoints say where to resume, from a previous run: what
	// [Tailer.Checkpoints] returned, one per file.
	Checkpoints []Checkpoint
	// Saved is when Checkpoints were saved. A file that they do not know,
	// under a path or glob that has checkpoints, and that was written
	// after Saved, appeared (or rotated) while the tailer was stopped: it
	// is read from its start. Zero: no such file is read.
	Saved time.Time
	// Poll uses stat polling instead of inotify. It is also chosen when the
	// inotify watcher cannot be created, and per file on network file
	// systems.
	Poll bool
	// RotateWait is how long a renamed or deleted file is still read after
	// the rotation is seen (DefaultRotateWait if zero).
	RotateWait time.Duration
	// Reglob is how often globs are re-expanded (DefaultReglob if zero).
	// Parent directories are also watched for creates; when polling they
	// are not, and globs are re-expanded every 250 ms at most.
	Reglob time.Duration
	// MaxLineBytes is the longest line delivered; longer ones are skipped
	// and counted (DefaultMaxLineBytes if zero).
	MaxLineBytes int
	// Logger receives the tailer's and the library's messages (discarded if
	// nil).
	Logger *slog.Logger
}
