package testutil

import (
	"errors"
	"net"
)

// CloseFails is a listener whose Close closes it and then reports an
// error, for a shutdown that fails.
type CloseFails struct{ net.Listener }

// Close closes the listener and returns an error all the same.
func (l CloseFails) Close() error {
	l.Listener.Close()
	return errors.New("close failed")
}
