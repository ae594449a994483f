package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/sentinel-dev/sentinel/internal/scenario"
)

// samplesDir is the committed samples/ directory, from this package.
const samplesDir = "../../../samples"

// maxSampleBytes keeps the samples small enough for a repository.
const maxSampleBytes = 3_000_000

func TestGenerate_reproducible(t *testing.T) {
	dir := t.TempDir()
	if err := generate(dir, io.Discard); err != nil {
		t.Fatalf("generate(%q) = %v", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("generate wrote no files")
	}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			got, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) > maxSampleBytes {
				t.Errorf("%s is %d bytes, want at most %d", e.Name(), len(got), maxSampleBytes)
			}
			want, err := os.ReadFile(filepath.Join(samplesDir, e.Name()))
			if err != nil {
				t.Fatalf("%v; run `go run ./internal/cmd/samplegen` from the repository root and commit samples/", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("samples/%s differs from what the generator writes (%s); run `go run ./internal/cmd/samplegen` from the repository root and commit samples/",
					e.Name(), firstDiff(want, got))
			}
		})
	}
}

// firstDiff describes the first line where a and b differ.
func firstDiff(a, b []byte) string {
	line := 1
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return "first difference on line " + strconv.Itoa(line)
		}
		if a[i] == '\n' {
			line++
		}
	}
	return "one is a prefix of the other, up to line " + strconv.Itoa(line)
}

func TestRun_badUsage(t *testing.T) {
	if got := run([]string{"-nope"}, io.Discard); got != 2 {
		t.Errorf("run(-nope) = %d, want 2", got)
	}
	if got := run([]string{"extra"}, io.Discard); got != 2 {
		t.Errorf("run(extra) = %d, want 2", got)
	}
}

func TestRun_matrixBadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-matrix", "most"},
		{"-matrix", "pinned", "-cells", "nope@2"},
		{"-matrix", "pinned", "-cells", "benign@0"},
		{"-matrix", "pinned", "-cells", "benign@100"}, // the pinned matrix runs nothing between 50 and 300 req/s
		{"-matrix", "pinned", "-update"},
		{"-matrix", "pinned", "-docs", "x.md", "-cells", "benign@2"},
		{"-matrix", "pinned", "-log", "benign"},
		{"-matrix", "parity", "-cells", "nope@0.2"},
		{"-matrix", "parity", "-cells", "benign"},
		{"-matrix", "parity", "-cells", "benign@0"},
		{"-matrix", "parity", "-update"},
		{"-matrix", "parity", "-log", "benign@0.2"},
	} {
		if got := run(args, io.Discard); got != 2 {
			t.Errorf("run(%q) = %d, want 2", args, got)
		}
	}
}

func TestRun_matrixLog(t *testing.T) {
	out := filepath.Join(t.TempDir(), "drip.log")
	var stderr bytes.Buffer
	if got := run([]string{"-matrix", "pinned", "-log", "signup-drip@0.2", "-o", out}, &stderr); got != 0 {
		t.Fatalf("run(-log) = %d: %s", got, stderr.String())
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(data, []byte("\n")); n < 1000 || !bytes.Contains(stderr.Bytes(), []byte("attack signup-drip from 2026-11-25T09:30:00Z")) {
		t.Errorf("wrote %d lines; stderr %q", n, stderr.String())
	}
}

// TestSelectCells_offTheTable: a size between or past the table's runs
// too (a site the table does not pin); nonsense is an error naming it.
func TestSelectCells_offTheTable(t *testing.T) {
	cells, err := selectCells(scenario.Rows, "benign@100,log-stops@0.7")
	if err != nil {
		t.Fatal(err)
	}
	if len(cells) != 2 || cells[0].Name() != "benign@100" || cells[1].Name() != "log-stops@0.7" {
		var names []string
		for _, c := range cells {
			names = append(names, c.Name())
		}
		t.Fatalf("cells = %v, want [benign@100 log-stops@0.7]", names)
	}
	for _, bad := range []string{"benign@0", "benign@-2", "benign@x", "benign@5001"} {
		if _, err := selectCells(scenario.Rows, bad); err == nil || !strings.Contains(err.Error(), "no site size") {
			t.Errorf("selectCells(%q) = %v, want an error naming the size", bad, err)
		}
	}
}
