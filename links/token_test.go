package links

import (
	"bufio"
	"encoding/base64"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// readSeeds returns the tokens of testdata/tokens.txt; a missing file
// fails the test.
func readSeeds(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open("testdata/tokens.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := sc.Text(); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	if len(out) == 0 {
		tb.Fatal("testdata/tokens.txt holds no token")
	}
	return out
}

// TestToken_roundTrip: every seed token parses back to what was signed
// and verifies with its key and site only.
func TestToken_roundTrip(t *testing.T) {
	seeds := readSeeds(t)
	want := seedTokens()
	for i, s := range seeds {
		got, sum, err := ParseToken(s)
		if err != nil {
			t.Fatalf("ParseToken(seed %d) = %v", i, err)
		}
		w := want[i]
		w.keyID = keyID(seedKey)
		if w.Targets == nil {
			w.Targets = nil
		}
		if diff := cmp.Diff(w, got, cmp.AllowUnexported(Token{})); diff != "" {
			t.Errorf("seed %d (-want +got):\n%s", i, diff)
		}
		if err := got.verify(sum, seedKey, "web-1"); err != nil {
			t.Errorf("verify(seed %d) = %v", i, err)
		}
		if err := got.verify(sum, seedKey, "web-2"); !errors.Is(err, ErrTampered) {
			t.Errorf("verify(seed %d, another site) = %v, want ErrTampered", i, err)
		}
		if err := got.verify(sum, []byte("another key of thirty-two bytes!"), "web-1"); !errors.Is(err, ErrSignature) {
			t.Errorf("verify(seed %d, another key) = %v, want ErrSignature", i, err)
		}
	}
}

// TestToken_refused: texts that are no token, and tokens no one can sign.
func TestToken_refused(t *testing.T) {
	seed := readSeeds(t)[0]
	raw, _ := base64.RawURLEncoding.DecodeString(seed)
	trailing := base64.RawURLEncoding.EncodeToString(append(append([]byte{}, raw[:len(raw)-32]...), append([]byte{0}, raw[len(raw)-32:]...)...))
	for name, s := range map[string]string{
		"empty": "", "padding": seed + "=", "std alphabet": strings.ReplaceAll(strings.ReplaceAll(seed, "-", "+"), "_", "/") + "+/",
		"too long": strings.Repeat("A", MaxTokenChars+1), "short": seed[:20], "version 2": "Ag" + seed[2:],
		"byte left over": trailing, "no mac": base64.RawURLEncoding.EncodeToString(raw[:len(raw)-32]),
	} {
		if _, _, err := ParseToken(s); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseToken(%s) = %v, want ErrMalformed", name, err)
		}
	}
	at := time.Unix(1795742400, 0)
	for name, tok := range map[string]Token{
		"no verb":        {Issued: at, Expires: at},
		"control":        {Verb: Run, Targets: []string{"a\nb"}, Issued: at, Expires: at},
		"bidi":           {Verb: Run, Route: "a\u202eb", Issued: at, Expires: at},
		"empty target":   {Verb: Run, Targets: []string{""}, Issued: at, Expires: at},
		"long name":      {Verb: Run, Episode: strings.Repeat("x", maxName+1), Issued: at, Expires: at},
		"too many":       {Verb: Silence, Targets: strings.Fields(strings.Repeat("r ", maxTargets+1)), Issued: at, Expires: at},
		"expires before": {Verb: Run, Issued: at, Expires: at.Add(-time.Second)},
	} {
		if _, err := tok.Sign(seedKey, "web-1"); err == nil {
			t.Errorf("Sign(%s) = nil, want an error", name)
		}
	}
}

// FuzzToken parses any text as a token. Invariants: it never panics; a
// text it accepts has valid fields and is the one spelling of them (its
// fields signed again give back the same text, but for the MAC); and no
// text but the seeds, which were signed with seedKey, verifies with it.
func FuzzToken(f *testing.F) {
	seeds := readSeeds(f)
	signed := map[string]bool{}
	for _, s := range seeds {
		signed[s] = true
		f.Add(s)
		f.Add(s[:len(s)/2])
		f.Add(s + "A")
	}
	f.Fuzz(func(t *testing.T, s string) {
		tok, sum, err := ParseToken(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("ParseToken(%q) = %v, want ErrMalformed", s, err)
			}
			return
		}
		if len(sum) != macBytes || tok.check() != nil || tok.Verb.String() == "unknown" {
			t.Fatalf("ParseToken(%q) = %+v, %x: invalid fields accepted", s, tok, sum)
		}
		raw, _ := base64.RawURLEncoding.DecodeString(s)
		if string(tok.body()) != string(raw[:len(raw)-macBytes]) {
			t.Fatalf("ParseToken(%q) = %+v: another spelling of its fields", s, tok)
		}
		if tok.verify(sum, seedKey, "web-1") == nil && !signed[s] {
			t.Fatalf("ParseToken(%q) verifies but was never signed", s)
		}
	})
}
