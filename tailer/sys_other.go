//go:build !linux

package tailer

import (
	"io/fs"
	"os"
	"syscall"
)

// idOf returns the device and inode of fi.
func idOf(fi fs.FileInfo) FileID {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return FileID{}
	}
	return FileID{uint64(st.Dev), uint64(st.Ino)}
}

// linked reports whether fi's file still has a name.
func linked(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || st.Nlink > 0
}

// libraryPath is path: without /proc the library opens the path itself.
func libraryPath(_ *os.File, path string) string { return path }

// isNetworkFS is false: detection is implemented for Linux only.
func isNetworkFS(string) bool { return false }
