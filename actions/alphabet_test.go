package actions

import (
	"bufio"
	"context"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/sentinel-dev/sentinel/alert"
)

// readKeys reads testdata/hostile_keys.txt: one Go-quoted string a line,
// # comments. A missing file fails the test.
func readKeys(tb testing.TB) []string {
	tb.Helper()
	f, err := os.Open("testdata/hostile_keys.txt")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	var keys []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, err := strconv.Unquote(line)
		if err != nil {
			tb.Fatalf("hostile_keys.txt:%d: %v", n, err)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		tb.Fatal("hostile_keys.txt holds no key")
	}
	return keys
}

// argFields are group_by fields with each alphabet, and an extra field.
var argFields = []string{"client_ip", "client_net", "path", "query", "referer", "user_agent", "status", "bytes",
	"duration", "method", "host", "kind", "message", "email"}

// argTemplates are exec arguments over the keys: the README's nft
// example first, then the ways a template can pass keys on. Each is
// paired with the characters the template itself writes (its text, and
// what its functions add: join's separator, printf's and urlquery's).
var argTemplates = []struct{ text, own string }{
	{`{ {{join (ips .Keys) ", "}} }`, "{ },"},
	{`{{join .Keys " "}}`, " "},
	{`{{range .Top}}{{.Key}}={{.Count}};{{end}}`, "=;0123456789"},
	{`{{with .Keys}}{{index . 0}}{{end}}`, ""},
	{`{{printf "%s" .Keys}}`, "[] "},
	{`--set={{range .Keys}}{{urlquery .}},{{end}}`, "-set=,%+0123456789ABCDEF"},
}

// nftSet is what the nft example's argument must be: a set of bare
// addresses or prefixes.
var nftSet = regexp.MustCompile(`^\{ ([0-9a-f.:/]+(, [0-9a-f.:/]+)*)? \}$`)

// checkArgs checks the arguments rendered for keys of field: every
// character is in the field's alphabet or written by the template, and
// the nft example's set holds only bare canonical addresses and prefixes.
func checkArgs(t *testing.T, field string, keys []string, args []string) {
	t.Helper()
	ab := alert.FieldAlphabet(field)
	for i, arg := range args {
		own := argTemplates[i].own
		for _, r := range arg {
			if !ab.Contains(string(r)) && !strings.ContainsRune(own, r) {
				t.Fatalf("group_by %s, keys %q: argument %d %q holds %q, outside the field's alphabet", field, keys, i, arg, r)
			}
		}
		if strings.ContainsRune(arg, 0) {
			t.Fatalf("argument %d %q holds a NUL", i, arg)
		}
	}
	set := args[0]
	if !nftSet.MatchString(set) {
		t.Fatalf("keys %q: nft argument %q is not a set of addresses", keys, set)
	}
	for _, v := range strings.Split(strings.Trim(set, "{ }"), ", ") {
		if v == "" {
			continue
		}
		if a, err := netip.ParseAddr(v); err == nil {
			if a.Zone() != "" || a.String() != v {
				t.Fatalf("nft argument %q: %q is not a bare canonical address", set, v)
			}
		} else if p, err := netip.ParsePrefix(v); err != nil || p.Masked().String() != v {
			t.Fatalf("nft argument %q: %q is neither an address nor a canonical prefix", set, v)
		}
	}
}

// newArgExec is an Exec whose arguments are argTemplates.
func newArgExec(tb testing.TB, program string, pre ...string) *Exec {
	tb.Helper()
	cmd := append([]string{program}, pre...)
	for _, tt := range argTemplates {
		cmd = append(cmd, tt.text)
	}
	e, err := NewExec(ExecOptions{Command: cmd})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

func callFor(field string, keys ...string) Call {
	a := fire("client-flood", t0)
	a.GroupBy, a.Keys = field, nil
	for i, k := range keys {
		a.Keys = append(a.Keys, alert.KeyCount{Key: k, Count: uint64(100 - i)})
	}
	return Call{Action: "block", Phase: Apply, Key: "k", Alert: a}
}

// FuzzExecArgs: whatever text a log puts in the top keys of a rule,
// whatever its group_by field, no argument of a program an action runs
// holds a character outside that field's alphabet (besides what the
// template writes itself), and the README's nft example only ever gets
// bare addresses.
func FuzzExecArgs(f *testing.F) {
	keys := readKeys(f)
	for i, k := range keys {
		f.Add(k, keys[(i+1)%len(keys)], uint8(i))
	}
	e := newArgExec(f, os.Args[0])
	f.Fuzz(func(t *testing.T, k1, k2 string, fi uint8) {
		field := argFields[int(fi)%len(argFields)]
		c := callFor(field, k1, k2)
		args, err := e.argv(c)
		if err != nil {
			t.Fatalf("argv(%q, %q) = %v", k1, k2, err)
		}
		checkArgs(t, field, []string{k1, k2}, args)
		for _, kv := range execEnv(c) {
			if v, ok := strings.CutPrefix(kv, "SENTINEL_KEYS="); ok {
				for _, line := range strings.Split(v, "\n") {
					if line != "" && !alert.FieldAlphabet(field).Contains(line) {
						t.Fatalf("SENTINEL_KEYS line %q is outside the %s alphabet", line, field)
					}
				}
			}
		}
	})
}

// TestExec_hostileKeys runs a real program (this test binary, as a helper
// that writes down its arguments) on every hostile key, for a field of
// each kind of alphabet (FuzzExecArgs covers every field in process), and
// checks what it received.
func TestExec_hostileKeys(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "args.json")
	e := newArgExec(t, self, "-test.run=^TestHelperArgs$", out, "--")
	keys := readKeys(t)
	for _, field := range []string{"client_ip", "client_net", "path", "status", "user_agent"} {
		res, err := e.Do(context.Background(), callFor(field, keys...))
		if err != nil {
			t.Fatalf("%s: Do() = %v (output %q)", field, err, res.Output)
		}
		var args []string
		b, err := os.ReadFile(out)
		if err == nil {
			err = json.Unmarshal(b, &args)
		}
		if err != nil || len(args) != len(argTemplates) {
			t.Fatalf("%s: the helper wrote %q: %v (output %q)", field, b, err, res.Output)
		}
		checkArgs(t, field, keys, args)
		if field == "client_ip" && args[0] != "{ 203.0.113.7, 2001:db8::1, ::ffff:192.0.2.1 }" {
			t.Errorf("nft argument for client_ip keys = %q, want the three bare addresses only", args[0])
		}
	}
}

// TestHelperArgs is the program TestExec_hostileKeys runs: it writes the
// arguments after "--" as JSON to the file named before it. It does
// nothing when run as a test.
func TestHelperArgs(t *testing.T) {
	if os.Getenv("SENTINEL_ACTION") == "" {
		t.Skip("the helper program of TestExec_hostileKeys")
	}
	for i, a := range os.Args {
		if a == "--" && i > 0 {
			b, _ := json.Marshal(os.Args[i+1:])
			if err := os.WriteFile(os.Args[i-1], b, 0o600); err != nil {
				os.Exit(4)
			}
			os.Exit(0)
		}
	}
	os.Exit(3)
}
