// Package parsers turns log lines into [Event] values. format.go holds the
// one table of formats: each one's name, what it reads, how [Detect] tells
// it from the others from the first lines of a file, and how [New] builds
// its decoder, either its own (combined.go for nginx/Apache access logs,
// phoenix.go, regex.go) or a field mapping (a preset) of the JSON or logfmt
// decoder (jsonlines.go, logfmt.go). No other package compares format
// names.
//
// Parsers are pure and fast: no I/O, no clock, no goroutines. The built-in
// formats do not allocate per line on their hot path and use neither
// regexp nor time.Parse there. A line that is not of the format returns an
// error and is never fatal; nothing in this package panics on input. A
// client address in an event is a bare address (see [ClientAddr]).
package parsers
