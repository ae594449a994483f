package links

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sync"
	"time"
)

// NoncesFile is the name of the used links' list in the state directory.
const NoncesFile = "links-used.json"

// DefaultMaxUsed bounds the links remembered as used: a link is
// remembered until it expires, and past this many unexpired ones a new
// use is refused rather than an old one forgotten (which would let it be
// used again).
const DefaultMaxUsed = 10000

// Errors of [Nonces.Use].
var (
	ErrUsed = errors.New("this link was used already")
	ErrFull = errors.New("too many links used recently: try again once some have expired")
)

// Nonces remembers the links used, each until it expires, in a file
// written (atomically) before the use acts: a link acts once, across
// restarts. The list is bounded. A list that cannot be read is set aside
// and every link issued before that moment is refused, since whether it
// was used can no longer be told. Nonces is safe for concurrent use.
type Nonces struct {
	path string
	max  int

	mu        sync.Mutex // guards the fields below
	used      map[[nonceBytes]byte]time.Time
	notBefore time.Time
}

// noncesFile is the file's JSON.
type noncesFile struct {
	Version int `json:"version"`
	// NotBefore refuses the links issued before it: the list was lost then.
	NotBefore time.Time `json:"not_before,omitzero"`
	// Used maps each used link's nonce (base64url) to its expiry (Unix s).
	Used map[string]int64 `json:"used"`
}

// OpenNonces loads the list at path (none yet is an empty list). An
// unreadable list is renamed to path.bad and replaced by an empty one that
// refuses the links issued before now; reset then says so, for a warning.
func OpenNonces(path string, max int, now time.Time) (n *Nonces, reset bool, err error) {
	if max <= 0 {
		max = DefaultMaxUsed
	}
	n = &Nonces{path: path, max: max, used: map[[nonceBytes]byte]time.Time{}}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return n, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("used links: %w", err)
	}
	var f noncesFile
	good := json.Unmarshal(data, &f) == nil && f.Version == 1
	for k, exp := range f.Used {
		raw, err := base64.RawURLEncoding.DecodeString(k)
		if err != nil || len(raw) != nonceBytes {
			good = false
			break
		}
		n.used[[nonceBytes]byte(raw)] = time.Unix(exp, 0).UTC()
	}
	if !good {
		if err := os.Rename(path, path+".bad"); err != nil {
			return nil, false, fmt.Errorf("used links: set aside: %w", err)
		}
		n.used, n.notBefore = map[[nonceBytes]byte]time.Time{}, now.UTC().Truncate(time.Second).Add(time.Second)
		return n, true, n.save()
	}
	n.notBefore = f.NotBefore
	return n, false, nil
}

// NotBefore is when the list was last lost: links issued before are
// refused. Zero when it never was.
func (n *Nonces) NotBefore() time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.notBefore
}

// Used reports whether the link with this nonce was used.
func (n *Nonces) Used(nonce [nonceBytes]byte) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	_, ok := n.used[nonce]
	return ok
}

// Use marks the link with this nonce used until it expires, and saves the
// list before it returns: [ErrUsed] when it was already, [ErrFull] when
// the list holds its most unexpired links, or the error of the save (the
// link is then not marked: nothing may act on it).
func (n *Nonces) Use(nonce [nonceBytes]byte, expires, now time.Time) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.used[nonce]; ok {
		return ErrUsed
	}
	for k, exp := range n.used {
		if !exp.After(now) {
			delete(n.used, k) // expired: refused for that reason anyway
		}
	}
	if len(n.used) >= n.max {
		return ErrFull
	}
	n.used[nonce] = expires
	if err := n.save(); err != nil {
		delete(n.used, nonce)
		return err
	}
	return nil
}

// Len returns how many links are remembered.
func (n *Nonces) Len() int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.used)
}

// save writes the list. The caller holds mu.
func (n *Nonces) save() error {
	f := noncesFile{Version: 1, NotBefore: n.notBefore, Used: make(map[string]int64, len(n.used))}
	for k, exp := range n.used {
		f.Used[base64.RawURLEncoding.EncodeToString(k[:])] = exp.Unix()
	}
	data, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("used links: %w", err)
	}
	if err := writeAtomic(n.path, data, nil); err != nil {
		return fmt.Errorf("save used links: %w", err)
	}
	return nil
}
