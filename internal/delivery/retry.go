package delivery

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Bounds of the backoff between attempts, and of the wait a server may
// ask for.
const (
	DefaultMinBackoff = time.Second
	DefaultMaxBackoff = 5 * time.Minute
	// MaxServerWait caps the wait a server asks for (Retry-After, in
	// seconds or as a date): one response must not mute a notifier or an
	// action for longer. Past it, the delivery is tried again anyway.
	MaxServerWait = 15 * time.Minute
)

// ErrStopped is what [Retry] returns when its Policy.Stop closed before
// an attempt.
var ErrStopped = errors.New("retries stopped")

// Policy bounds the retries of one delivery.
type Policy struct {
	// MinBackoff and MaxBackoff bound the exponential backoff between
	// attempts; 0 means [DefaultMinBackoff] and [DefaultMaxBackoff].
	MinBackoff, MaxBackoff time.Duration
	// Attempts, when above 0, is the most attempts made; 0 tries until
	// the delivery succeeds, fails for good or the context ends.
	Attempts int
	// Stop, when it closes, ends the retries: no attempt starts after it,
	// and a wait is cut short. Nil never closes.
	Stop <-chan struct{}
	// Retrying, when set, is told of each failed attempt that will be
	// tried again, before the wait.
	Retrying func(Failure)
}

// Failure is a failed attempt that [Retry] will try again.
type Failure struct {
	Attempt int // 1 for the first
	Err     error
	// Wait is how long Retry waits before the next attempt.
	Wait time.Duration
	// Requested is the wait the server asked for (a 429's Retry-After),
	// capped at [MaxServerWait]; 0 when it asked for none.
	Requested time.Duration
}

// Retry calls try, with attempt numbers from 1, until it returns nil,
// returns a *PermanentError, has been called p.Attempts times, ctx ends
// or p.Stop closes. Between attempts it waits a capped exponential
// backoff with jitter (between half and all of MinBackoff, doubling up to
// MaxBackoff), or longer when the error is a *RetryAfterError asking for
// more (at most [MaxServerWait]).
//
// It returns nil once try succeeds (even as ctx ends: the delivery was
// made); ctx's error when ctx ended (the delivery was cut off: the caller
// keeps it to make again); [ErrStopped] when p.Stop closed; otherwise the
// last error of try. It is the one retry loop of sentinel: notifiers and
// actions alike retry through it, never by themselves.
func Retry(ctx context.Context, p Policy, try func(attempt int) error) error {
	if p.MinBackoff <= 0 {
		p.MinBackoff = DefaultMinBackoff
	}
	if p.MaxBackoff <= 0 {
		p.MaxBackoff = DefaultMaxBackoff
	}
	backoff := p.MinBackoff
	for attempt := 1; ; attempt++ {
		if closed(p.Stop) {
			return ErrStopped
		}
		err := try(attempt)
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case IsPermanent(err), p.Attempts > 0 && attempt >= p.Attempts:
			return err
		}
		f := Failure{Attempt: attempt, Err: err, Wait: Wait(err, backoff)}
		if ra, ok := errors.AsType[*RetryAfterError](err); ok {
			f.Requested = min(max(ra.After, 0), MaxServerWait)
		}
		if p.Retrying != nil {
			p.Retrying(f)
		}
		t := time.NewTimer(f.Wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-p.Stop: // nil: never ready; checked at the loop's top
			t.Stop()
		case <-t.C:
		}
		backoff = min(backoff*2, p.MaxBackoff)
	}
}

// Wait is how long [Retry] waits after a failed attempt whose backoff is
// backoff: between half and all of it (jitter), or the wait err asks for
// as a *RetryAfterError when that is longer, at most [MaxServerWait].
func Wait(err error, backoff time.Duration) time.Duration {
	wait := backoff/2 + rand.N(backoff/2+1)
	if ra, ok := errors.AsType[*RetryAfterError](err); ok {
		wait = max(wait, min(ra.After, MaxServerWait))
	}
	return wait
}

// closed reports whether c is closed (false for nil).
func closed(c <-chan struct{}) bool {
	if c == nil {
		return false
	}
	select {
	case <-c:
		return true
	default:
		return false
	}
}
