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
