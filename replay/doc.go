// Package replay is the one offline pipeline: inputs (files, gzip or
// standard input, each format given or detected by package source) → a
// detector.Engine → sinks: the console (text timeline with sparklines,
// or one JSON object per alert transition), the plan of the actions the
// daemon would have taken, the HTML report's recorder and the threshold
// suggester. [Run] wires them; [Result.WriteSummary] and [Result.Report]
// finish. `sentinel replay`, `sentinel explain` and the corpus check all
// run through [Run], so what one shows the others show; cmd/sentinel
// keeps only flags, files and exit codes.
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
