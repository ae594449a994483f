package benchlog

import (
	"os"
	"sync"
)

// Files writes the benchmarks' logs to a temporary directory of its own,
// each (lines, rate, mode) once per process, and removes them all with
// Remove, which a package's TestMain calls after its run: the logs are
// hundreds of megabytes, and left behind every run of the benchmarks
// added its own. The zero value is ready to use; it may be used from
// several goroutines.
type Files struct {
	mu    sync.Mutex
	dir   string
	paths map[fileKey]string
}

type fileKey struct {
	n, rate int
	mode    Mode
}

// Path returns the path of a log of n lines at rate lines a second in
// mode (seed 1), writing it on the first call.
func (fs *Files) Path(n, rate int, mode Mode) (string, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	k := fileKey{n, rate, mode}
	if p, ok := fs.paths[k]; ok {
		return p, nil
	}
	if fs.dir == "" {
		dir, err := os.MkdirTemp("", "sentinel-bench")
		if err != nil {
			return "", err
		}
		fs.dir, fs.paths = dir, map[fileKey]string{}
	}
	f, err := os.CreateTemp(fs.dir, "*.log")
	if err != nil {
		return "", err
	}
	err = Write(f, n, rate, 1, mode)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	fs.paths[k] = f.Name()
	return f.Name(), nil
}

// Remove deletes the logs written so far, and their directory.
func (fs *Files) Remove() {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if fs.dir != "" {
		os.RemoveAll(fs.dir)
	}
	fs.dir, fs.paths = "", nil
}
