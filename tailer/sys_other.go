//go:build !linux

package tailer

import (
	"io/fs"
	"os"
	"syscall"
)

// fileID returns the device and inode of fi.
func fileID(fi fs.FileInfo) (dev, ino uint64) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0
	}
	return uint64(st.Dev), uint64(st.Ino)
}

// libraryPath is path: without /proc the library opens the path itself.
func libraryPath(_ *os.File, path string) string { return path }

// isNetworkFS is false: detection is implemented for Linux only.
func isNetworkFS(string) bool { return false }
