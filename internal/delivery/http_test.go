package delivery

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 1, 20, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 120 ", 2 * time.Minute},
		{"-3", 0},
		{"soon", 0},
		{"Fri, 27 Nov 2026 01:20:30 GMT", 30 * time.Second},
		{"Fri, 27 Nov 2026 01:19:00 GMT", 0},
		{"Fri, 27 Nov 2026 01:35:00 GMT", 15 * time.Minute},
		{"Fri, 27 Nov 2026 01:35:01 GMT", MaxServerWait},
		{"Fri, 31 Dec 9999 23:59:59 GMT", MaxServerWait}, // was 292 years
		{"900", 15 * time.Minute},
		{"901", MaxServerWait},
		{"86400", MaxServerWait}, // was a day
		{"99999999999", MaxServerWait},
		{"99999999999999999999", 0}, // overflows int64: not a number
	}
	for _, tt := range tests {
		if got := ParseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("ParseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

// respond is an in-memory transport: no network, so it also runs in a
// synctest bubble.
type respond func(*http.Request) *http.Response

func (f respond) RoundTrip(r *http.Request) (*http.Response, error) {
	resp := f(r)
	resp.Request = r
	return resp, nil
}

// answer returns a transport answering code with the headers kv and body.
func answer(code int, body string, kv ...string) respond {
	return func(*http.Request) *http.Response {
		h := make(http.Header)
		for i := 0; i+1 < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return &http.Response{StatusCode: code, Header: h, Body: io.NopCloser(strings.NewReader(body))}
	}
}

func TestDo(t *testing.T) {
	now := time.Date(2026, 11, 27, 1, 20, 0, 0, time.UTC)
	const secret = "tok-S3CRET-value"
	tests := []struct {
		name       string
		rt         respond
		wantErr    bool
		permanent  bool
		retryAfter time.Duration // -1: not a *RetryAfterError
		wantBody   string
	}{
		{"200", answer(200, " ok "+secret), false, false, -1, "ok REDACTED"},
		{"204", answer(204, ""), false, false, -1, ""},
		{"301 not followed", answer(301, "", "Location", "https://elsewhere.example/"), true, true, -1, ""},
		{"400", answer(400, "bad \x1b[2J "+secret), true, true, -1, `bad \x1b[2J REDACTED`},
		{"404", answer(404, ""), true, true, -1, ""},
		{"429 seconds", answer(429, "", "Retry-After", "7"), true, false, 7 * time.Second, ""},
		{"429 year 9999", answer(429, "", "Retry-After", "Fri, 31 Dec 9999 23:59:59 GMT"), true, false, MaxServerWait, ""},
		{"429 a day", answer(429, "", "Retry-After", "86400"), true, false, MaxServerWait, ""},
		{"429 none", answer(429, ""), true, false, 0, ""},
		{"500", answer(500, "oops"), true, false, -1, "oops"},
		{"503", answer(503, "busy"), true, false, -1, "busy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, "https://hooks.example/x?token="+secret, nil)
			res, err := Do(Client(&http.Client{Transport: tt.rt}), req, "post", now, secret)
			if (err != nil) != tt.wantErr || IsPermanent(err) != tt.permanent {
				t.Fatalf("Do() = %+v, %v; want error %v, permanent %v", res, err, tt.wantErr, tt.permanent)
			}
			ra, ok := errors.AsType[*RetryAfterError](err)
			switch {
			case tt.retryAfter < 0 && ok:
				t.Errorf("Do() = %v, a *RetryAfterError", err)
			case tt.retryAfter >= 0 && (!ok || ra.After != tt.retryAfter):
				t.Errorf("Do() = %v, want a *RetryAfterError of %v", err, tt.retryAfter)
			}
			if res.Body != tt.wantBody {
				t.Errorf("Response.Body = %q, want %q", res.Body, tt.wantBody)
			}
			if err != nil && (strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "post: HTTP ")) {
				t.Errorf("error %q: want it to name the op and the status, and hold no secret", err)
			}
		})
	}
}

// TestClient_noRedirect: a 301 comes back as the response, its target
// never asked, whatever client the caller gave.
func TestClient_noRedirect(t *testing.T) {
	var methods []string
	base := &http.Client{Transport: respond(func(r *http.Request) *http.Response {
		methods = append(methods, r.Method)
		return answer(301, "", "Location", "/elsewhere")(r)
	})}
	req, _ := http.NewRequest(http.MethodPatch, "https://flags.example/f", strings.NewReader("{}"))
	res, err := Do(Client(base), req, "patch", time.Now())
	if !IsPermanent(err) || res.Status != 301 || len(methods) != 1 || !strings.Contains(err.Error(), "give the final URL") {
		t.Errorf("Do() = %+v, %v (requests %v); want a permanent error, the redirect not followed", res, err, methods)
	}
	if base.CheckRedirect != nil {
		t.Error("Client modified the client it was given")
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://user:pw@example.com/hook?key=s3cret#frag", "https://REDACTED@example.com/REDACTED"},
		{"https://example.com/hook", "https://example.com/REDACTED"},
		{"https://discord.com/api/webhooks/123/TOKEN", "https://discord.com/REDACTED"},
		{"smtp://me:pass@mail.example.com:587", "smtp://REDACTED@mail.example.com:587"},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080"},
		{"https://hooks.example.com?token=abc", "https://hooks.example.com/REDACTED"},
		{"://bad", "REDACTED"},
		{"not a url", "REDACTED"},
	}
	for _, tt := range tests {
		if got := RedactURL(tt.in); got != tt.want {
			t.Errorf("RedactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRedact_keepsContextErrors(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), -time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1:1/x?token=s3cretvalue", nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = http.DefaultClient.Do(req)
	got := Redact("post", err, URLSecrets(req.URL.String(), PublicPath)...)
	if !errors.Is(got, context.DeadlineExceeded) {
		t.Errorf("errors.Is(%v, DeadlineExceeded) = false, want true", got)
	}
	if strings.Contains(got.Error(), "s3cretvalue") {
		t.Errorf("Redact() = %q, holds the secret", got)
	}
}

func TestHeaders(t *testing.T) {
	h, err := Headers(map[string]string{"Authorization": "Bearer x\ty", "User-Agent": "evil", "X-Team": "ops"}, "User-Agent")
	if err != nil || h.Get("Authorization") != "Bearer x\ty" || h.Get("User-Agent") != "" || h.Get("X-Team") != "ops" {
		t.Errorf("Headers() = %v, %v", h, err)
	}
	for _, bad := range []map[string]string{{"X-A": "a\nb"}, {"X-A": "a\rBcc: x"}, {"X-A": "a\x00"}, {"X A": "v"}, {"": "v"}} {
		if _, err := Headers(bad); err == nil || strings.Contains(err.Error(), "a\n") {
			t.Errorf("Headers(%q) = %v, want an error that quotes no value", bad, err)
		}
	}
}

func TestIdempotencyKey(t *testing.T) {
	if got, want := IdempotencyKey("signups-off", "signup-burst", "1795742401", "apply"), "signups-off:signup-burst:1795742401:apply"; got != want {
		t.Errorf("IdempotencyKey() = %q, want %q", got, want)
	}
	if got, want := IdempotencyKey("a b\r\nX-Evil: 1", "é"), "a_b__X-Evil__1:__"; got != want {
		t.Errorf("IdempotencyKey(hostile) = %q, want %q", got, want)
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"version":1}`)
	h := make(http.Header)
	SetSignature(h, []byte("k3y"), time.Unix(1795742402, 0), body)
	ts, sig := h.Get(TimestampHeader), h.Get(SignatureHeader)
	if ts != "1795742402" || !VerifySignature("k3y", ts, body, sig) {
		t.Fatalf("headers %v do not verify", h)
	}
	for name, ok := range map[string]bool{
		"other body":   VerifySignature("k3y", ts, []byte(`{"version":2}`), sig),
		"other time":   VerifySignature("k3y", "1795742403", body, sig),
		"other secret": VerifySignature("key", ts, body, sig),
		"no secret":    VerifySignature("", ts, body, Sign(nil, ts, body)),
	} {
		if ok {
			t.Errorf("%s: VerifySignature() = true", name)
		}
	}
	unsigned := make(http.Header)
	SetSignature(unsigned, nil, time.Unix(1, 0), body)
	if unsigned.Get(TimestampHeader) != "1" || unsigned.Get(SignatureHeader) != "" {
		t.Errorf("without a secret: headers %v, want the timestamp only", unsigned)
	}
}
