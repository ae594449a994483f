package tailer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sentinel-dev/sentinel/tailer"
)

func ExampleTailer_Run() {
	dir, err := os.MkdirTemp("", "tailer-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "access.log")
	if err := os.WriteFile(path, []byte("GET / 200\nGET /login 401\n"), 0o644); err != nil {
		fmt.Println(err)
		return
	}

	t, err := tailer.New(tailer.Options{
		Patterns: []string{filepath.Join(dir, "*.log")},
		Start:    tailer.FromStart,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	lines := make(chan tailer.Line)
	done := make(chan error, 1)
	go func() { done <- t.Run(ctx, lines) }()

	var saved tailer.Checkpoint
	for range 2 {
		l := <-lines
		fmt.Printf("%s: %s\n", filepath.Base(l.Path), l.Text)
		saved = l.Pos // save this once the line is processed; pass it back in Options.Checkpoints
	}
	cancel()
	fmt.Println(<-done, saved.Offset)
	// Output:
	// access.log: GET / 200
	// access.log: GET /login 401
	// context canceled 25
}
