//go:build race

package replay

// raceEnabled shortens TestFeed_stagesSameOutput under the race detector,
// which cares about the hand-over between goroutines, not the volume.
const raceEnabled = true
