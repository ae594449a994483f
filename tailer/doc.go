// Package tailer follows live access logs: it expands path globs, follows
// every matching file through rename rotation, copytruncate, delete and
// recreate, and sends each complete line, with the checkpoint to save once
// the line is processed, to one channel.
//
// It uses github.com/nxadm/tail (v1.4.11) as a follow-one-inode primitive
// and adds what that library lacks:
//
//   - Identity. For every file generation (one inode at one path) the tailer
//     holds its own open descriptor, and the library is pointed at
//     /proc/self/fd/N, so the library always reads exactly that inode: a
//     rename, delete or recreate can never make it read a different file,
//     and the stat calls on which the library would call os.Exit only fail
//     with ENOENT (treated as "gone").
//   - Rotation drain. When the path no longer names the generation (renamed
//     or deleted), the tailer stops the library and reads the old inode
//     itself, by its descriptor, from the last delivered offset, for
//     [Options.RotateWait], so lines a writer still appends to the renamed
//     file are delivered; then it follows the new file from offset 0. While
//     it drains, it polls the path every 100 ms and holds every new file
//     that appears there, so rotations faster than RotateWait lose nothing
//     either: held files are read in order, each for RotateWait after the
//     next one appeared.
//   - Positions. Every [Line] carries the [Checkpoint] just after it, taken
//     from the library's Line.SeekInfo.Offset and checked against the
//     previous line's end (Tell is never called). A jump back to 0 on the
//     same inode is a truncation; any other discontinuity restarts the
//     library at the last delivered offset.
//   - Truncation and replacement. A 250 ms check compares the inode at the
//     path, the file size and the first bytes already consumed with what was
//     delivered; a shrunk or rewritten file is read again from 0.
//   - Globs, late files and one tail per real path (after EvalSymlinks), with
//     parent-directory watches and a periodic re-glob.
//   - Never os.Exit: the inotify watcher is probed before the library's
//     shared one is started, with a fall back to polling, and ReOpen is
//     never set.
//
// Invariants: lines of one path are sent in file order; a line is sent at
// most once per run, and with checkpoints exactly once across runs, except
// for the losses that no tailer can prevent (see below); a partial last line
// is never sent until its "\n" is written, except at the end of a rotated
// file that is being closed; every goroutine the tailer starts has ended
// when [Tailer.Run] returns (the library's shared inotify goroutine lives
// for the process, and a poll-mode watcher goroutine of the library ends up
// to 250 ms later).
//
// Losses it cannot prevent:
//   - copytruncate: lines appended between logrotate's copy and its truncate
//     exist only in the copy, which the tailer does not read.
//   - A file that is created and renamed away again before the tailer opens
//     it: within the 250 ms check while the tailer follows its predecessor,
//     or within 100 ms while it drains one. Across a restart, any rotated
//     file other than the checkpointed inode and the current one.
//   - In poll mode, a file truncated and regrown past the read offset
//     between two checks is detected only by its first bytes; lines read
//     from it before the check may be wrong or repeated.
//
// Lines longer than [Options.MaxLineBytes] are skipped and counted. The
// library buffers a line whole before the tailer sees it, so a single
// gigantic line still costs its size in memory once.
//
// The tailer is Linux-first: /proc/self/fd and statfs-based network file
// system detection are used there; other Unix systems fall back to the
// path (with a small window in which a rotation between two opens goes
// unnoticed).
package tailer
