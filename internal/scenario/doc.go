// Package scenario is the scenario matrix that judges sentinel's default
// rules (issues 13 and 19): sites of 0.2 to 300 requests a second, each
// with an ordinary day and a series of attacks and incidents, generated
// as real-looking logs, replayed through `sentinel replay --output json`
// with the embedded rules, and judged against labelled ground truth.
//
// The traffic is built from measured figures (../shared/notes/traffic-shapes.md
// and the real logs of ../shared/corpus), each cited where it is used: a
// daily ramp with a day/night ratio of 4, crawlers from their published
// address ranges, uptime monitors and load-balancer health checks, office
// and mobile-carrier NATs, a mobile app polling every 15–60 s and
// refreshing its token, a single-page app whose calls are preflighted,
// log-ins at 1–3% of the requests with 10–25% failing (form re-renders or
// 401s), sign-ups, assets, scanners, a deploy's 20 s of 502s, IPv6 for
// 45% of the clients. The site is Tallybook, the Phoenix SaaS of samples/
// (internal/cmd/samplegen), here streamed so that a whole day at 300
// requests a second (26 million lines) never sits in memory; and a B2B
// ordering API for the shapes of issue 19.
//
// [Rows] are the kinds of day; [Sizes] the sites; [Build] makes one cell,
// [Scenario.Generate] writes its log in its format (nginx combined,
// behind a proxy, merged out of order, Phoenix's default Logger on Fly.io,
// a Heroku drain; and, for the test that the same traffic gives the same
// alerts in every format, the [ParityFormats]: Caddy, nginx's and
// Traefik's JSON, Railway, Go's slog, zap and zerolog, logfmt),
// [Replayer] runs it through a sentinel binary, [Judge]
// decides, [Table] renders the results for docs/rules.md. Generation is a
// pure function of the code: every process draws from its own seeded
// source, so a cell's log is the same bytes on every run, and adding an
// attack leaves the ordinary traffic around it unchanged.
//
// The package never tunes anything to the rules: the scenarios come from
// the figures, and the judge from the issues' targets. It only reads the
// rules' output (the JSON output contract of docs/json.md, plus each
// alert's severity).
package scenario
