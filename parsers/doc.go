// Package parsers turns log lines into [Event] values: one file per format
// (combined.go for nginx/Apache access logs, jsonlines.go, logfmt.go,
// phoenix.go, regex.go), and detect.go to tell them apart from the first
// lines of a file.
//
// Parsers are pure and fast: no I/O, no clock, no goroutines. The built-in
// formats do not allocate per line on their hot path and use neither
// regexp nor time.Parse there. A line that is not of the format returns an
// error and is never fatal; nothing in this package panics on input.
package parsers
