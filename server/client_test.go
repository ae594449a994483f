package server

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestFetchStatus(t *testing.T) {
	const token = "s3cret-t0ken"
	want := sampleStatus()
	want.Rules = want.Rules[:3] // JSON has no +Inf
	_, addr := start(t, Options{Token: token, Status: func() Status { return want }})

	t.Run("ok", func(t *testing.T) {
		got, err := FetchStatus(t.Context(), addr, token)
		if err != nil {
			t.Fatalf("FetchStatus() error = %v", err)
		}
		// The server sends a nil list as [], which decodes empty.
		if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("FetchStatus() (-want +got):\n%s", diff)
		}
	})
	t.Run("url", func(t *testing.T) {
		if _, err := FetchStatus(t.Context(), "http://"+addr+"/", token); err != nil {
			t.Errorf("FetchStatus(http://…/) error = %v", err)
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		_, err := FetchStatus(t.Context(), addr, "wrong")
		if !errors.Is(err, ErrUnauthorized) {
			t.Errorf("FetchStatus() error = %v, want ErrUnauthorized", err)
		}
	})
	t.Run("no server", func(t *testing.T) {
		_, err := FetchStatus(t.Context(), "127.0.0.1:1", token)
		if err == nil {
			t.Fatal("FetchStatus() with no server = nil, want an error")
		}
		if strings.Contains(err.Error(), token) {
			t.Errorf("FetchStatus() error %q contains the token", err)
		}
	})
}

func TestRequestReload(t *testing.T) {
	const token = "s3cret-t0ken"
	t.Run("ok", func(t *testing.T) {
		_, addr := start(t, Options{Token: token, Reload: func() error { return nil }})
		if err := RequestReload(t.Context(), addr, token); err != nil {
			t.Errorf("RequestReload() error = %v, want nil", err)
		}
	})
	t.Run("rejected", func(t *testing.T) {
		bad := errors.Join(
			errors.New(`sentinel.yaml:12: rules[0].window: invalid duration "5x"`),
			errors.New(`sentinel.yaml:20: rules[1]: unknown key "treshold"`))
		_, addr := start(t, Options{Token: token, Reload: func() error { return bad }})
		err := RequestReload(t.Context(), addr, token)
		var re *ReloadError
		if !errors.As(err, &re) {
			t.Fatalf("RequestReload() error = %v, want a *ReloadError", err)
		}
		if re.Text != bad.Error() || err.Error() != bad.Error() {
			t.Errorf("RequestReload() error = %q, want %q", re.Text, bad.Error())
		}
	})
	t.Run("wrong token", func(t *testing.T) {
		_, addr := start(t, Options{Token: token, Reload: func() error { return nil }})
		const other = "0ther-t0ken"
		err := RequestReload(t.Context(), addr, other)
		if !errors.Is(err, ErrUnauthorized) {
			t.Errorf("RequestReload() error = %v, want ErrUnauthorized", err)
		}
		if err != nil && (strings.Contains(err.Error(), other) || strings.Contains(err.Error(), token)) {
			t.Errorf("RequestReload() error %q contains a token", err)
		}
	})
	t.Run("disabled", func(t *testing.T) {
		_, addr := start(t, Options{})
		err := RequestReload(t.Context(), addr, "")
		if err == nil || !strings.Contains(err.Error(), "not enabled") {
			t.Errorf("RequestReload() error = %v, want \"not enabled\"", err)
		}
	})
}
