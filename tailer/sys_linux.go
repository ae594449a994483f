package tailer

import (
	"fmt"
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
	return FileID{uint64(st.Dev), uint64(st.Ino)} // Dev is narrower on some architectures
}

// linked reports whether fi's file still has a name (a renamed file
// does; a deleted one does not).
func linked(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	return !ok || st.Nlink > 0
}

var procFD = func() bool {
	_, err := os.Stat("/proc/self/fd")
	return err == nil
}()

// libraryPath is the name under which the tail library opens and watches
// f: its /proc/self/fd link, so that the library reads exactly the inode
// held in f whatever happens to path, and its stat calls cannot fail with
// anything but ENOENT.
func libraryPath(f *os.File, path string) string {
	if !procFD {
		return path
	}
	return fmt.Sprintf("/proc/self/fd/%d", f.Fd())
}

// isNetworkFS reports whether path lives on a file system where inotify
// does not see remote writes.
func isNetworkFS(path string) bool {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return false
	}
	switch uint32(st.Type) {
	case 0x6969, // NFS
		0x517b,     // SMB
		0xff534d42, // CIFS
		0xfe534d42, // SMB2
		0x65735546, // FUSE
		0x01021997, // 9P
		0x47504653: // GPFS
		return true
	}
	return false
}
