//go:build unix

package links

import (
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// keepOwner gives f the owner and group of like (the key it replaces, or
// the state directory), so that a key rotated by root stays readable by
// the daemon's own user. Nothing is done when this process is that owner.
func keepOwner(f *os.File, like fs.FileInfo) error {
	st, ok := like.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) == os.Geteuid() {
		return nil
	}
	if err := f.Chown(int(st.Uid), int(st.Gid)); err != nil {
		return fmt.Errorf("keep the owner of %s (uid %d): %w", like.Name(), st.Uid, err)
	}
	return nil
}
