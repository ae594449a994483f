package parsers

// Heroku decodes what a Heroku app's log drain (or `heroku logs`) carries:
// the router's lines, one per request, between the lines of the app
// itself (Rails, lograge, Sidekiq, anything it prints) and of the
// platform (runtime metrics, "State changed from starting to up").
//
// Each line has Heroku's envelope, in the `heroku logs` form
// ("2017-01-13T02:37:11.213639+00:00 heroku[router]: …") or a drain's
// syslog frame ("<158>1 2014-08-04T18:28:43.078581+00:00 host heroku
// router - …", maybe after an octet count); a line without one is
// malformed. The router's lines are [KindRequest] events read with the
// heroku preset of the logfmt decoder (see [LogfmtPreset]): method, path,
// status, bytes, service time, request_id, host, dyno, and the client from
// fwd. Every other line is a [KindMessage] event with the fields it has
// (see appLine) and the extra fields source and dyno: never a second
// request, whatever it says. A Heroku is not safe for concurrent use.
type Heroku struct {
	router *Logfmt
	app    *appLine
	ev     Event
}

var _ Decoder = (*Heroku)(nil)

// NewHeroku returns a decoder for Heroku drains. opts is laid over the
// router preset, as for [NewLogfmtPreset]; its Location also reads the
// times of app lines that carry no zone.
func NewHeroku(opts Options) (*Heroku, error) {
	router, err := NewLogfmt(overlay(herokuRouter, opts))
	if err != nil {
		return nil, err
	}
	app, err := newAppLine(opts)
	if err != nil {
		return nil, err
	}
	return &Heroku{router: router, app: app}, nil
}

// Decode implements [Decoder].
func (h *Heroku) Decode(line []byte, emit func(*Event)) error {
	line = phxTrimRight(line)
	if len(line) == 0 {
		return ErrIgnored
	}
	var w platform
	msg, ok := parsePlatform(line, &w)
	if !ok || w.form != formHeroku {
		return malformed("heroku")
	}
	if w.router() {
		return h.router.Decode(line, emit)
	}
	if len(msg) == 0 {
		return ErrIgnored
	}
	h.app.decode(line, msg, &w, &h.ev)
	emit(&h.ev)
	return nil
}

// Flush implements [Decoder]; a Heroku holds nothing between lines.
func (h *Heroku) Flush(func(*Event)) {}
