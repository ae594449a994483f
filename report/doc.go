// Package report turns a replay into something to look at: a
// self-contained HTML page with one inline-SVG chart per rule (its value,
// its threshold or learned baseline band, firing spans, alert and action
// markers), a table of alerts, per-source parse statistics and the
// would-be actions; terminal sparklines around each alert; and, for
// `sentinel replay --suggest`, the distribution of each rule's values and
// the threshold that would have kept it quiet.
//
// Memory is bounded whatever the length of the replay: a [Recorder] keeps
// per rule at most [DefaultColumns] time buckets of min, max and last
// value (the bucket width doubles as the log goes on, merging neighbours)
// and the first [DefaultMaxAlerts] alerts; a [Suggester] keeps a
// [Histogram] of values in logarithmic buckets per rule; [Sparks] keeps
// five minutes of values per rule and a 60-cell episode. A month-long
// replay never keeps every evaluation.
//
// The SVG is written by hand (svg.go) rather than with a charting library:
// a chart here is a few polylines, rectangles and labels, which is less
// code than adapting a library's styling, and it keeps the module free of
// a dependency and the page free of scripts from elsewhere. The page
// embeds its CSS and a few lines of script that only mark it as drawn (for
// scripts/report-check); it needs no network to open.
//
// Every string that comes from the log — client addresses, user agents,
// paths in top keys, sample and malformed lines, file names — is untrusted:
// the page is built with html/template, which escapes each value for its
// context (text, attribute), and the SVG writer escapes the few labels it
// writes itself. This package never reads files or the clock.
package report
