package replay

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/sentinel-dev/sentinel/internal/benchlog"
	"github.com/sentinel-dev/sentinel/parsers"
	"github.com/sentinel-dev/sentinel/source"
)

// attackLines returns benchlog's founding-story attack, 40,000 lines at
// 200 a second (15% of them the flood), as lines in time order.
func attackLines(tb testing.TB) [][]byte {
	tb.Helper()
	var log bytes.Buffer
	if err := benchlog.Write(&log, 40_000, 200, 3, benchlog.Attack); err != nil {
		tb.Fatal(err)
	}
	return bytes.SplitAfter(bytes.TrimSuffix(log.Bytes(), []byte("\n")), []byte("\n"))
}

// writeLog writes lines to name in dir, gzip-compressed when name ends in
// .gz, and returns its path.
func writeLog(tb testing.TB, dir, name string, lines [][]byte) string {
	tb.Helper()
	var b bytes.Buffer
	if strings.HasSuffix(name, ".gz") {
		zw := gzip.NewWriter(&b)
		for _, l := range lines {
			zw.Write(l)
		}
		zw.Close()
	} else {
		for _, l := range lines {
			b.Write(l)
		}
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		tb.Fatal(err)
	}
	return p
}

// secondOf returns the timestamp of a combined line, to the second.
func secondOf(line []byte) string {
	i := bytes.IndexByte(line, '[')
	return string(line[i+1 : i+21])
}

// TestFeed_mergedRotation: a rotated log's files, named newest first as a
// shell's glob names access.log* (and one gzip-compressed), replay as the
// whole log does: every alert, evaluation and notice the same, byte for
// byte, one stage and two. Read one after the other, the newer files'
// events would come first and the older ones' be dropped as late.
func TestFeed_mergedRotation(t *testing.T) {
	lines := attackLines(t)
	dir := t.TempDir()
	whole := writeLog(t, dir, "whole.log", lines)
	third := len(lines) / 3
	rotated := []Input{
		{Path: writeLog(t, dir, "access.log", lines[2*third:])},
		{Path: writeLog(t, dir, "access.log.1", lines[third:2*third])},
		{Path: writeLog(t, dir, "access.log.2.gz", lines[:third])},
	}
	want, _, wantErr, _ := transcript(t, []Input{{Path: whole}}, FeedOptions{Stages: OneStage})
	if n := want.firing; n < 5 {
		t.Fatalf("%d alerts fired: too few to compare", n)
	}
	for _, stages := range []Stages{OneStage, TwoStages} {
		got, stats, gotErr, _ := transcript(t, rotated, FeedOptions{Stages: stages})
		sameTranscript(t, want, got, againAs(t, whole, rotated, stages))
		sameOutcome(t, nil, nil, wantErr, gotErr)
		if len(stats) != 3 || stats[0].Name != rotated[0].Path || stats[2].Name != rotated[2].Path {
			t.Errorf("stats = %v, want one per input in the order given", stats)
		}
		var n int64
		for _, st := range stats {
			n += st.Events
		}
		if n != int64(len(lines)) {
			t.Errorf("%d events read, want %d", n, len(lines))
		}
	}
}

// againAs replays the whole log in one stage and its parts in stages,
// keeping the lines from up to to (sameTranscript).
func againAs(t *testing.T, whole string, parts []Input, stages Stages) func(from, to int) (*record, *record) {
	return func(from, to int) (*record, *record) {
		a, _, _, _ := transcript(t, []Input{{Path: whole}}, FeedOptions{Stages: OneStage}, from, to)
		b, _, _, _ := transcript(t, parts, FeedOptions{Stages: stages}, from, to)
		return a, b
	}
}

// TestFeed_mergedServers: two servers behind one balancer, each writing
// its own log of the same hours (here every other second goes to the
// other server), replay as the log of both in time order does, whichever
// is named first. Read one after the other, the second's events were
// hours behind and dropped as late.
func TestFeed_mergedServers(t *testing.T) {
	lines := attackLines(t)
	var a, b [][]byte
	server, last := 0, ""
	for _, l := range lines {
		if s := secondOf(l); s != last {
			server, last = 1-server, s
		}
		if server == 0 {
			a = append(a, l)
		} else {
			b = append(b, l)
		}
	}
	dir := t.TempDir()
	whole := writeLog(t, dir, "whole.log", lines)
	web1, web2 := writeLog(t, dir, "web1.log", a), writeLog(t, dir, "web2.log.gz", b)
	want, _, wantErr, _ := transcript(t, []Input{{Path: whole}}, FeedOptions{Stages: OneStage})
	for _, inputs := range [][]Input{{{Path: web1}, {Path: web2}}, {{Path: web2}, {Path: web1}}} {
		for _, stages := range []Stages{OneStage, TwoStages} {
			got, _, gotErr, _ := transcript(t, inputs, FeedOptions{Stages: stages})
			sameTranscript(t, want, got, againAs(t, whole, inputs, stages))
			sameOutcome(t, nil, nil, wantErr, gotErr)
		}
	}
}

// TestFeed_mergedProgress: the lines of inputs read at once add up in
// their shared Progress.
func TestFeed_mergedProgress(t *testing.T) {
	lines := attackLines(t)
	dir := t.TempDir()
	half := len(lines) / 2
	inputs := []Input{
		{Path: writeLog(t, dir, "b.log", lines[half:])},
		{Path: writeLog(t, dir, "a.log", lines[:half])},
		{Path: filepath.Join(dir, "missing.log")},
	}
	var p source.Progress
	stats, err := Feed(context.Background(), observerFunc(func(*parsers.Event) {}), inputs, FeedOptions{Stages: OneStage, Progress: &p})
	if err == nil || !strings.Contains(err.Error(), "missing.log") {
		t.Errorf("error = %v, want the missing file named", err)
	}
	if p.Lines() != int64(len(lines)) {
		t.Errorf("progress counted %d lines, want %d", p.Lines(), len(lines))
	}
	if len(stats) != 3 || stats[2].NotRead == "" {
		t.Errorf("stats = %+v, want three, the missing file's not read", stats)
	}
}

// TestFeed_mergedCancel: a replay cancelled after 1,000 events, of one
// input or two merged, in one stage or two, returns context.Canceled,
// observes at most what was read ahead of the cancel, and stops reading:
// the inputs were read to their end, unseen, before.
func TestFeed_mergedCancel(t *testing.T) {
	lines := attackLines(t)
	var a, b [][]byte
	for i, l := range lines {
		if i%2 == 0 {
			a = append(a, l)
		} else {
			b = append(b, l)
		}
	}
	dir := t.TempDir()
	whole := []Input{{Path: writeLog(t, dir, "whole.log", lines)}}
	merged := []Input{{Path: writeLog(t, dir, "a.log", a)}, {Path: writeLog(t, dir, "b.log", b)}}
	// What a replay reads ahead of its engine: the staged batches, and
	// each merged input's.
	const ahead = (batchesInFlight+1)*batchEvents + 2*(mergeInFlight+2)*mergeEvents + cancelCheck
	for _, tt := range []struct {
		name   string
		inputs []Input
		stages Stages
	}{{"one input, one stage", whole, OneStage}, {"one input, two stages", whole, TwoStages},
		{"two inputs, one stage", merged, OneStage}, {"two inputs, two stages", merged, TwoStages}} {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			n := 0
			obs := observerFunc(func(*parsers.Event) {
				if n++; n == 1000 {
					cancel()
				}
			})
			stats, err := Feed(ctx, obs, tt.inputs, FeedOptions{Stages: tt.stages})
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Feed() = %v, want context.Canceled", err)
			}
			if n >= 1000+ahead {
				t.Errorf("observed %d events, want fewer than %d (at most what was read ahead of the cancel)", n, 1000+ahead)
			}
			var read int64
			for _, st := range stats {
				read += st.Lines
			}
			if len(stats) != len(tt.inputs) || read >= 1000+ahead {
				t.Errorf("stats = %+v: %d of %d lines read, want one per input and fewer than %d", stats, read, len(lines), 1000+ahead)
			}
		})
	}
}

// TestFeed_mergedPipe: a FIFO (as <(ssh web1 cat access.log) gives) merged
// with a file is read once, from its first line: its first time is not
// read ahead, which would consume what it cannot give again.
func TestFeed_mergedPipe(t *testing.T) {
	lines := attackLines(t)
	half := len(lines) / 2
	dir := t.TempDir()
	fifo := filepath.Join(dir, "web2.fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	go func() {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		for _, l := range lines[half:] {
			f.Write(l)
		}
	}()
	file := writeLog(t, dir, "web1.log", lines[:half])
	n := 0
	stats, err := Feed(context.Background(), observerFunc(func(*parsers.Event) { n++ }), []Input{{Path: fifo}, {Path: file}}, FeedOptions{Stages: OneStage})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(lines) || len(stats) != 2 || stats[0].Malformed != 0 {
		t.Errorf("%d events of %d lines, stats %+v: want every line once", n, len(lines), stats)
	}
}

// TestFeed_mergedSameFileTwice: a file named twice (access.log*
// access.log) is read once, the second naming reported, not merged with
// itself.
func TestFeed_mergedSameFileTwice(t *testing.T) {
	lines := attackLines(t)
	dir := t.TempDir()
	p := writeLog(t, dir, "access.log", lines)
	n := 0
	stats, err := Feed(context.Background(), observerFunc(func(*parsers.Event) { n++ }), []Input{{Path: p}, {Path: filepath.Join(dir, ".", "access.log")}}, FeedOptions{Stages: OneStage})
	if err != nil {
		t.Fatal(err)
	}
	if n != len(lines) || len(stats) != 2 || stats[0].NotRead != "" || !strings.Contains(stats[1].NotRead, "the same file as") {
		t.Errorf("%d events of %d lines, stats %+v %+v: want the file read once, its second naming not read", n, len(lines), stats[0], stats[1])
	}
}
