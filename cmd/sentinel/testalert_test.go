package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestTestAlert_config: test-alert -c sends through each notifier of the
// config, reports each outcome with the receiver's error, exits 1 when
// one failed, and --notifier picks one by its name.
func TestTestAlert_config(t *testing.T) {
	var okHits, deniedHits atomic.Int32
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { okHits.Add(1) }))
	defer ok.Close()
	denied := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deniedHits.Add(1)
		http.Error(w, "bad token", http.StatusUnauthorized)
	}))
	defer denied.Close()
	cfg := filepath.Join(t.TempDir(), "sentinel.yaml")
	text := "rules:\n  - {name: r, detector: {type: rate, window: 1m, threshold: 1}}\nnotifiers:\n" +
		"  - {name: flags, type: webhook, url: '" + ok.URL + "/hook?key=querysecret'}\n" +
		"  - {name: pager, type: webhook, url: '" + denied.URL + "/hook'}\n"
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}

	var out, errOut bytes.Buffer
	code := run([]string{"test-alert", "-c", cfg}, nil, &out, &errOut)
	if code != 1 || okHits.Load() != 1 || deniedHits.Load() != 1 {
		t.Fatalf("test-alert = %d (hits %d, %d), want 1 with each notifier tried once\n%s%s", code, okHits.Load(), deniedHits.Load(), &out, &errOut)
	}
	if !strings.Contains(out.String(), "flags      ok") || !strings.Contains(out.String(), "pager      FAILED: ") ||
		!strings.Contains(out.String(), "401") || strings.Contains(out.String()+errOut.String(), "querysecret") {
		t.Errorf("output:\n%s%s", &out, &errOut)
	}

	out.Reset()
	errOut.Reset()
	if code := run([]string{"test-alert", "-c", cfg, "--notifier", "flags"}, nil, &out, &errOut); code != 0 || okHits.Load() != 2 || deniedHits.Load() != 1 {
		t.Errorf("--notifier flags = %d (hits %d, %d), want 0 and only flags tried\n%s%s", code, okHits.Load(), deniedHits.Load(), &out, &errOut)
	}

	errOut.Reset()
	if code := run([]string{"test-alert", "-c", cfg, "--notifier", "flagz"}, nil, &out, &errOut); code != 2 ||
		!strings.Contains(errOut.String(), `no notifier is named "flagz"; there are: flags, pager`) {
		t.Errorf("--notifier flagz = %d, stderr %q; want 2 naming the notifiers", code, &errOut)
	}
}
