// Package replay is the one offline pipeline: inputs (files, gzip or
// standard input, each format given or detected by [source]) → a
// [detector.Engine] → sinks. `sentinel replay`, `sentinel explain` and
// the corpus check all run through it, so what one shows the others
// show.
//
// [Feed] reads the inputs in order. On more than one core it reads and
// parses on a goroutine of its own, a batch of events ahead of the
// engine, and hands the batches over in order: the engine and every
// callback it makes (alerts, traces, notices) stay on the caller's
// goroutine, and what they see is the same, event for event, as with
// inline parsing.
//
// The package never executes actions and never talks to the network.
package replay
