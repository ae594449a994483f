//go:build !unix

package links

import (
	"io/fs"
	"os"
)

// keepOwner does nothing here: files have no Unix owner to keep.
func keepOwner(*os.File, fs.FileInfo) error { return nil }
