package links

import (
	"flag"
	"os"
	"strings"
	"testing"
	"time"
)

var updateSeeds = flag.Bool("update", false, "rewrite testdata/tokens.txt")

// seedKey signs the tokens of testdata/tokens.txt.
var seedKey = []byte("0123456789abcdef0123456789abcdef")

// seedTokens are the tokens testdata/tokens.txt holds, signed with
// seedKey for the site "web-1".
func seedTokens() []Token {
	at := time.Date(2026, 11, 27, 1, 20, 10, 0, time.UTC)
	return []Token{
		{Verb: Run, Targets: []string{"signups-off"}, Episode: "signup-burst@1795742400", Route: "ops-slack", Issued: at, Expires: at.Add(24 * time.Hour), Nonce: [12]byte{1, 2, 3}},
		{Verb: Silence, Targets: []string{"signup-burst", "signup-spread", "traffic-spike"}, Episode: "signup-burst@1795742400", Route: "phone", Issued: at, Expires: at.Add(time.Hour), Nonce: [12]byte{4}},
		{Verb: Revert, Targets: []string{"signups-off"}, Route: "email", Issued: at, Expires: at.Add(time.Minute), Nonce: [12]byte{5}},
		{Verb: StopReminders, Episode: "5xx-surge@1795742999", Issued: at, Expires: at, Nonce: [12]byte{6}},
		{Verb: Silence, Targets: []string{"règle-ünicode"}, Episode: "règle-ünicode@1", Route: "ntfy ☎", Issued: at, Expires: at.Add(720 * time.Hour)},
	}
}

// TestSeeds checks testdata/tokens.txt against seedTokens (rewritten
// with -update): the fuzz test's corpus is real tokens, and their text
// does not change without a review.
func TestSeeds(t *testing.T) {
	var b strings.Builder
	b.WriteString("# tokens signed with links.seedKey for site web-1 (gen_test.go; go test ./links -run TestSeeds -update)\n")
	for _, tok := range seedTokens() {
		s, err := tok.Sign(seedKey, "web-1")
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(s + "\n")
	}
	if *updateSeeds {
		if err := os.WriteFile("testdata/tokens.txt", []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("testdata/tokens.txt")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != b.String() {
		t.Errorf("testdata/tokens.txt differs from seedTokens signed now (run with -update and review):\n%s", b.String())
	}
}
