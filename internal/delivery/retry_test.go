package delivery

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// TestRetry_backoff: the waits double from MinBackoff, with jitter
// between half and all of each, capped at MaxBackoff.
func TestRetry_backoff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var at []time.Time
		var fails []Failure
		err := Retry(context.Background(), Policy{MinBackoff: time.Second, MaxBackoff: 4 * time.Second,
			Retrying: func(f Failure) { fails = append(fails, f) }}, func(attempt int) error {
			at = append(at, time.Now())
			if attempt < 6 {
				return errors.New("503")
			}
			return nil
		})
		if err != nil || len(at) != 6 || len(fails) != 5 {
			t.Fatalf("Retry() = %v after %d attempts, %d failures; want success at the 6th", err, len(at), len(fails))
		}
		for i, max := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 4 * time.Second, 4 * time.Second} {
			if got := at[i+1].Sub(at[i]); got < max/2 || got > max || got != fails[i].Wait {
				t.Errorf("wait %d = %v (said %v), want between %v and %v", i+1, got, fails[i].Wait, max/2, max)
			}
		}
	})
}

// TestRetry_serverWait: a Retry-After is honoured up to MaxServerWait,
// and the retries go on past it; the failure says what was asked.
func TestRetry_serverWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		now := time.Now()
		client := Client(&http.Client{Transport: answer(429, "", "Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT")})
		var at []time.Time
		var fails []Failure
		err := Retry(context.Background(), Policy{Retrying: func(f Failure) { fails = append(fails, f) }}, func(attempt int) error {
			at = append(at, time.Now())
			if attempt == 3 {
				return nil
			}
			req, _ := http.NewRequest(http.MethodPost, "https://hooks.example/", nil)
			_, err := Do(client, req, "post", time.Now())
			return err
		})
		if err != nil || len(at) != 3 {
			t.Fatalf("Retry() = %v after %d attempts, want success at the 3rd", err, len(at))
		}
		if got := at[1].Sub(now); got != MaxServerWait {
			t.Errorf("first retry after %v, want the cap %v (the server asked for year 9999)", got, MaxServerWait)
		}
		if f := fails[0]; f.Requested != MaxServerWait || f.Wait != MaxServerWait || f.Attempt != 1 {
			t.Errorf("Failure = %+v, want Requested and Wait %v", f, MaxServerWait)
		}
		// A wait asked for is the least wait: a longer backoff wins.
		if got := Wait(&RetryAfterError{After: time.Second}, 8*time.Second); got < 4*time.Second {
			t.Errorf("Wait(1s asked, 8s backoff) = %v, want the backoff", got)
		}
		if got := Wait(&RetryAfterError{After: 300 * 24 * time.Hour}, time.Second); got != MaxServerWait {
			t.Errorf("Wait(300 days asked) = %v, want %v", got, MaxServerWait)
		}
	})
}

func TestRetry_ends(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		calls := 0
		failing := func(err error) func(int) error {
			calls = 0
			return func(int) error { calls++; return err }
		}
		// A permanent error is not retried.
		perm := Permanent(errors.New("401"))
		if err := Retry(context.Background(), Policy{}, failing(perm)); err != perm || calls != 1 {
			t.Errorf("permanent: Retry() = %v after %d calls, want it after 1", err, calls)
		}
		// Attempts bound the tries.
		last := errors.New("503")
		if err := Retry(context.Background(), Policy{Attempts: 3}, failing(last)); err != last || calls != 3 {
			t.Errorf("Attempts 3: Retry() = %v after %d calls, want the last error after 3", err, calls)
		}
		// Stop cuts a wait short and starts no further attempt.
		stop := make(chan struct{})
		go func() { time.Sleep(30 * time.Second); close(stop) }()
		start := time.Now()
		if err := Retry(context.Background(), Policy{MinBackoff: time.Hour, Stop: stop}, failing(last)); err != ErrStopped || calls != 1 || time.Since(start) != 30*time.Second {
			t.Errorf("Stop: Retry() = %v after %d calls and %v", err, calls, time.Since(start))
		}
		// The context's end cuts a wait short too.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := Retry(ctx, Policy{MinBackoff: time.Hour}, failing(last)); !errors.Is(err, context.DeadlineExceeded) || calls != 1 {
			t.Errorf("ctx: Retry() = %v after %d calls", err, calls)
		}
		// A success as the context ends is a success.
		ctx, cancel = context.WithCancel(context.Background())
		if err := Retry(ctx, Policy{}, func(int) error { cancel(); return nil }); err != nil {
			t.Errorf("success as ctx ends: Retry() = %v, want nil", err)
		}
	})
}
