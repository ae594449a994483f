// Package tailer follows live access logs: it expands path globs, follows
// every matching file through rename rotation, copytruncate, delete and
// recreate and compression, and sends each complete line, with the
// checkpoint to save once the line is processed, to one channel.
//
// # One file, one identity
//
// A file is known by its identity (device and inode) and by the
// fingerprint of its first bytes, whatever its name. A glob that also
// matches rotated names (access.log* with logrotate's .1 naming, *.log
// with dateext and extension) finds the file it was already reading under
// its new name, and continues it from where it was, never from its start.
// The tailer keeps a record of every file it has seen under its patterns
// and of their rotated files (see [Tailer.Checkpoints]): files being read,
// files read to their end, old rotated files it chose not to read. A file
// it does not know is new: at a path, or under a glob, it is read from its
// start. A file whose first bytes are those of a known one is that file's
// copy (copytruncate) or compressed form (.gz), and continues it.
//
// Rotated files are recognised by name (see rotationOf): the live name
// plus a suffix of digits and . - _ (access.log.1, access.log-20260101),
// or such a suffix before the extension (access-20260101.log), each
// possibly compressed (.gz). They are read only when they hold lines not
// read yet, and gzip files are read once, through gzip; files compressed
// otherwise (.bz2, .xz, .zst…) are skipped with a warning.
//
// # Restarts
//
// Given the checkpoints of a previous run, the tailer finds every file of
// each path's rotation chain that holds unread lines: the checkpointed
// files, by identity and fingerprint, also when renamed, copied or
// compressed; and the rotated files it does not know that were written
// after the checkpoints were saved ([Options.Saved]). It reads them oldest
// first (by modification time), each to its end, before the file at the
// path; a file that appeared at a path or under a glob while it was
// stopped is read from its start. The backlogs of several paths are read
// side by side, paced on an estimate of their time (see pacer), so that
// one path's backlog does not make the others' lines late.
//
// # Reading
//
// For every file the tailer holds its own descriptor from the moment it
// sees the file until it has read it to its end, so a rename or delete
// never makes it read another file, and reads the data itself, line by
// line, with a bounded buffer: a line longer than [Options.MaxLineBytes]
// is skipped as it is read and counted, never held whole, and NUL bytes at
// a line's start (what a crash leaves in a log) are dropped and counted.
// Memory per file is one read buffer plus MaxLineBytes, whatever the file
// holds.
//
// It uses github.com/nxadm/tail (v1.4.11) as the follow-one-inode
// primitive: the library's inotify watch, pointed at /proc/self/fd/N,
// says when exactly that inode was written, truncated, renamed or deleted.
// The library's Tail is not used for the data: it reads each line whole
// into a string before it can be looked at (bufio.Reader.ReadString), so a
// 300 MB line without a newline cost 1.2 GB of memory, and its MaxLineSize
// splits lines only after that; nor can it read a renamed file to its end,
// resume a rotated file from an offset after a reopen, or read gzip.
// Polling (network file systems, no inotify) uses the tailer's own timer.
// The library's shared inotify watcher is probed before it is started, so
// that a failure (the instance limit) falls back to polling instead of the
// os.Exit the library would call.
//
// # Rotation
//
// A 250 ms check (and inotify events on the directories) compares the
// file at each path with the one being read. When the path names another
// file, or none, the old file is drained for [Options.RotateWait], by its
// descriptor, while the new one is read at once from its start: both are
// read concurrently, each in its own goroutine and in its own order, so
// the new file's lines do not wait for the drain. A truncated or rewritten
// file (size below what was read, or first bytes changed) is read again
// from 0; what was not read yet of it is read from its copy, if logrotate
// made one (copytruncate) under a rotated name.
//
// Invariants: lines of one file are sent in file order; a line is sent at
// most once per run and, with checkpoints, exactly once across runs,
// except for the losses below; a partial last line is never sent until its
// "\n" is written, except at the end of a rotated file that is being
// closed; every goroutine the tailer starts has ended when [Tailer.Run]
// returns (the library's shared inotify goroutine lives for the process).
//
// Losses it cannot prevent:
//   - copytruncate: lines appended between logrotate's copy and its
//     truncate exist in no file.
//   - A file deleted before the tailer read it to its end: while stopped
//     (a rotation count exceeded, or a rotated file removed), or one
//     created and deleted within a check interval. The count of such
//     checkpointed files is logged as a warning at start-up.
//   - A rotated file moved out of its directory (logrotate's olddir) or
//     renamed to a name that is not a rotated form of its path, while the
//     tailer was stopped.
//   - In poll mode, a file truncated and regrown past the read offset
//     between two checks is detected only by its first bytes; lines read
//     from it before the check may be wrong or repeated.
//
// The tailer is Linux-first: /proc/self/fd and statfs-based network file
// system detection are used there; elsewhere the library watches the path
// (with a small window in which a rotation between two opens goes
// unnoticed).
package tailer
