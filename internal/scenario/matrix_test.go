package scenario

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the pinned scenario matrix in docs/rules.md")

// rulesDoc is docs/rules.md, from this package.
const rulesDoc = "../../docs/rules.md"

// TestMatrix replays the pinned matrix through the sentinel binary with
// the embedded default rules and compares the table with the one pinned
// in docs/rules.md: a change of detection that changes a cell shows in
// review. `go test ./internal/scenario -run TestMatrix -update` rewrites
// the table. With -short only the two smallest sizes run, under the race
// detector only the smallest, and only their cells are compared.
func TestMatrix(t *testing.T) {
	bin := sentinelBinary(t)
	sizes := Sizes
	switch {
	case raceEnabled:
		sizes = Sizes[:1]
	case testing.Short():
		sizes = Sizes[:2]
	}
	cells := Matrix(Rows, sizes)
	if raceEnabled {
		// Enough cells for Run's workers to overlap: the sentinel they
		// start is built without the race detector, so more cells would
		// only add minutes to CI's race pass (all of them ran above).
		cells = cells[:8]
	}
	if err := Run(context.Background(), &Replayer{Binary: bin}, cells, Pinned, runtime.NumCPU(), nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		if c.Result == nil {
			continue
		}
		// The generator writes what the parsers read: every line parsed,
		// the format detected as the row's.
		want := map[string]string{FormatFly: "phoenix", FormatHeroku: "heroku"}[c.Row.Format]
		if want == "" {
			want = "combined"
		}
		if sum := c.Result.Summary(); !strings.Contains(sum, " 0 skipped") || !strings.Contains(sum, "; format "+want+" ") {
			t.Errorf("%s: replay read %q, want every line parsed as %s", c.Name(), sum, want)
		}
	}
	got := Table(cells, Pinned)
	doc, err := os.ReadFile(rulesDoc)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if len(sizes) < len(Sizes) {
			t.Fatal("-update needs the whole matrix: run it without -short and without -race")
		}
		out, err := ReplaceSection(doc, "pinned", got)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(rulesDoc, out, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := Section(doc, "pinned")
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) == len(Sizes) {
		if got != want {
			t.Errorf("the pinned scenario matrix in docs/rules.md differs (-want +got):\n%s\nrun `go test ./internal/scenario -run TestMatrix -update` and review the change", Diff(want, got))
		}
		return
	}
	// A partial run: compare the cells it ran.
	wantLines := cellLines(want)
	for _, c := range cells {
		gotLine := cellLines(got)[c.Name()]
		if w, ok := wantLines[c.Name()]; !ok || w != gotLine {
			t.Errorf("cell %s differs from docs/rules.md:\n-%s\n+%s", c.Name(), w, gotLine)
		}
	}
}

// cellLines maps each cell's name to its line of the detail table.
func cellLines(table string) map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(table, "\n") {
		if rest, ok := strings.CutPrefix(l, "| `"); ok {
			if name, _, ok := strings.Cut(rest, "`"); ok {
				m[name] = l
			}
		}
	}
	return m
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildDir  string
)

// sentinelBinary returns a sentinel executable: $SENTINEL_BIN when set,
// else one built from this module once per test run.
func sentinelBinary(tb testing.TB) string {
	tb.Helper()
	if b := os.Getenv("SENTINEL_BIN"); b != "" {
		consult(tb, b)
		return b
	}
	consultSources(tb)
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "scenario-sentinel-")
		if buildErr != nil {
			return
		}
		builtBin = filepath.Join(buildDir, "sentinel")
		goCmd, err := exec.LookPath("go")
		if err != nil {
			goCmd = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		}
		out, err := exec.Command(goCmd, "build", "-o", builtBin, "github.com/sentinel-dev/sentinel/cmd/sentinel").CombinedOutput()
		if err != nil {
			buildErr = err
			builtBin = string(out)
		}
	})
	if buildErr != nil {
		tb.Fatalf("build sentinel: %v\n%s", buildErr, builtBin)
	}
	return builtBin
}

// consultSources opens every source file the sentinel binary is built
// from (the module's Go files, the embedded rules and anything else beside
// them), so that go test's cache knows this test depends on them: the
// binary is built by a child process, whose reads the cache does not see,
// and a change of the rules must run the matrix again.
func consultSources(tb testing.TB) {
	tb.Helper()
	err := filepath.WalkDir("../..", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != "../.." && (strings.HasPrefix(name, ".") || name == "testdata" || name == "samples" || name == "docs" || name == "contrib") {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, "_test.go") || !strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, ".yaml") && name != "go.mod" && name != "go.sum" {
			return nil
		}
		consult(tb, path)
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
}

func consult(tb testing.TB, path string) {
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	f.Close()
}

// TestReplayer_pipeSameAsFile: a log piped to the replay as it is
// generated (the whole days of the busiest sites) gives what the same log
// written to a file first gives, Fly.io's Phoenix log (which needs its
// date) included.
func TestReplayer_pipeSameAsFile(t *testing.T) {
	bin := sentinelBinary(t)
	for _, name := range []string{"signup-flood", "benign-no-address"} {
		r, err := Find(Rows, name)
		if err != nil {
			t.Fatal(err)
		}
		var got [2]*Result
		for i, limit := range []int{0, -1} {
			sc := Build(r, Sizes[0], Pinned)
			if got[i], err = (&Replayer{Binary: bin, MaxFileLines: limit}).Run(context.Background(), sc); err != nil {
				t.Fatal(err)
			}
		}
		file, pipe := got[0], got[1]
		if file.input == "-" || pipe.input != "-" {
			t.Fatalf("%s: replayed %q and %q, want a file and then standard input", name, file.input, pipe.input)
		}
		if file.Summary() == "" || file.Summary() != pipe.Summary() {
			t.Errorf("%s: summaries %q (file) and %q (pipe), want the same", name, file.Summary(), pipe.Summary())
		}
		if !reflect.DeepEqual(file.Alerts, pipe.Alerts) || !reflect.DeepEqual(file.Truth, pipe.Truth) {
			t.Errorf("%s: the file gave %d alerts, the pipe %d; or their truths differ", name, len(file.Alerts), len(pipe.Alerts))
		}
		if name == "signup-flood" && len(file.Alerts) == 0 {
			t.Errorf("%s: no alert, nothing compared", name)
		}
	}
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// TestMatrix_offTheTable runs ordinary days at sizes between the table's,
// where a site's normal sits just over a drop rule's floor: its requests
// come in visits, and half a minute between two visits is ordinary. At a
// twentieth of the normal `log-stops` paged all three (2 lines in 30 s
// on a normal of 1.35/s).
func TestMatrix_offTheTable(t *testing.T) {
	bin := sentinelBinary(t)
	var cells []*Cell
	for _, c := range []struct {
		row  string
		size float64
	}{{"benign", 1}, {"benign-proxy", 1}, {"mobile-carrier-nat", 0.7}} {
		r, err := Find(Rows, c.row)
		if err != nil {
			t.Fatal(err)
		}
		cells = append(cells, Matrix([]*Row{r}, []float64{c.size})...)
	}
	if err := Run(context.Background(), &Replayer{Binary: bin}, cells, Pinned, runtime.NumCPU(), nil); err != nil {
		t.Fatal(err)
	}
	for _, c := range cells {
		if c.Verdict == nil {
			t.Errorf("%s did not run", c.Name())
		} else if !c.Verdict.Pass {
			t.Errorf("%s: %v", c.Name(), c.Verdict.Reason)
		}
	}
}
