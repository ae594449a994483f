package links

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
)

// KeyFile is the name of the links' key in the state directory.
const KeyFile = "links.key"

// keyBytes is the size of a key: HMAC-SHA256 wants 32 bytes.
const keyBytes = 32

// keyHeader starts a key file, so that a stray file is not taken for one.
const keyHeader = "sentinel-links-key-v1 "

// Keyring holds the key that signs the links of one site: 32 random bytes
// in a file (mode 0600) created on first use. The file is looked at on
// every use, so that a key rotated by another process (`sentinel links
// rotate-key`) or a file deleted (a new key is made) takes effect at once:
// every link signed with the old key is refused from then on. A key file
// that others may read is refused. A Keyring is safe for concurrent use;
// the key never appears in errors.
type Keyring struct {
	path string

	mu  sync.Mutex // guards the fields below
	key []byte
	fi  fs.FileInfo // of the file key was read from
}

// NewKeyring returns the keyring of the key file at path; nothing is read
// or created until the first use.
func NewKeyring(path string) *Keyring { return &Keyring{path: path} }

// Key returns the current key, reading the file again when it changed and
// creating it (and its directory, 0700) when it is missing.
func (k *Keyring) Key() ([]byte, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	for range 3 { // a file replaced between the stat and the read is read again
		fi, err := os.Stat(k.path)
		if errors.Is(err, fs.ErrNotExist) {
			if err := createKey(k.path); err != nil && !errors.Is(err, fs.ErrExist) {
				return nil, err
			}
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("links key: %w", err)
		}
		if k.key != nil && os.SameFile(fi, k.fi) && fi.ModTime().Equal(k.fi.ModTime()) && fi.Size() == k.fi.Size() && fi.Mode() == k.fi.Mode() {
			return k.key, nil
		}
		key, fi2, err := readKey(k.path)
		if err != nil {
			return nil, err
		}
		if os.SameFile(fi, fi2) {
			k.key, k.fi = key, fi2
			return key, nil
		}
	}
	return nil, fmt.Errorf("links key %s: keeps changing", k.path)
}

// readKey reads and checks a key file.
func readKey(path string) ([]byte, fs.FileInfo, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("links key: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, nil, fmt.Errorf("links key: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return nil, nil, fmt.Errorf("links key %s: others may read it (mode %04o): chmod 600 it, or delete it to make a new key (every link sent so far then stops working)", path, perm)
	}
	buf := make([]byte, 256)
	n, _ := f.Read(buf)
	text := strings.TrimSpace(string(buf[:n]))
	enc, ok := strings.CutPrefix(text, strings.TrimSpace(keyHeader))
	key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
	if !ok || err != nil || len(key) != keyBytes {
		return nil, nil, fmt.Errorf("links key %s: not a key written by sentinel: delete it to make a new one (every link sent so far then stops working)", path)
	}
	return key, fi, nil
}

// createKey writes a new key to path unless a file is there.
func createKey(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("links key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(newKeyText()); err != nil {
		f.Close()
		os.Remove(path)
		return fmt.Errorf("links key: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("links key: %w", err)
	}
	return f.Close()
}

func newKeyText() string {
	key := make([]byte, keyBytes)
	rand.Read(key)
	return keyHeader + base64.StdEncoding.EncodeToString(key) + "\n"
}

// RotateKey replaces the key file at path by a new key, atomically (mode
// 0600, with the owner of the key it replaces or, when there is none, of
// its directory: the daemon's user, when root rotates it); a running
// daemon uses it from its next link on, and every link signed with the
// old key is refused from then on.
func RotateKey(path string) error {
	owner, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		owner, err = os.Stat(filepath.Dir(path))
		if errors.Is(err, fs.ErrNotExist) {
			owner, err = nil, nil // made below, by this process
		}
	}
	if err != nil {
		return fmt.Errorf("rotate links key: %w", err)
	}
	if err := writeAtomic(path, []byte(newKeyText()), owner); err != nil {
		return fmt.Errorf("rotate links key: %w", err)
	}
	return nil
}

// keyID names a key in its tokens without revealing it.
func keyID(key []byte) [keyIDBytes]byte {
	sum := sha256.Sum256(append([]byte("sentinel-link-key-id\x00"), key...))
	var id [keyIDBytes]byte
	copy(id[:], sum[:])
	return id
}

// writeAtomic writes data to path through a temporary file (mode 0600,
// owned as owner when it is not nil), synced and renamed, so that a crash
// leaves the old file or the new one.
func writeAtomic(path string, data []byte, owner fs.FileInfo) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // nothing left after a rename
	if owner != nil {
		if err := keepOwner(tmp, owner); err != nil {
			tmp.Close()
			return err
		}
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
