package testutil

import "testing"

// LongOneGoroutine skips t under -short, which .ci/run's race pass sets:
// a long test that runs on one goroutine gives the race detector nothing
// to find, and `go test ./...` (not -short) runs it in full.
func LongOneGoroutine(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("long, on one goroutine: go test ./... runs it in full; -short is the race pass")
	}
}

// LongRacedElsewhere skips t under -short (the race pass), for a long test
// of a path whose goroutines other tests run under the race detector
// (named in why); `go test ./...` runs it in full.
func LongRacedElsewhere(t *testing.T, why string) {
	t.Helper()
	if testing.Short() {
		t.Skip("long; its goroutines are raced by " + why + "; go test ./... runs it in full")
	}
}
