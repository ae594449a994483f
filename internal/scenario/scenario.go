package scenario

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"time"
)

// Truth is a scenario's labelled ground truth: what happened, when, and
// who must be named.
type Truth struct {
	// Attack names the attack or incident; "" for an ordinary day.
	Attack     string
	Start, End time.Time
	// Offender is what an alert must name among its keys: an address, a
	// network (CIDR) or a path, as OffenderKind says; "" when the attack
	// has no single offender (thousands of addresses, an outage).
	Offender, OffenderKind string
	// Deadline is how soon after Start the first alert must fire: 60 s,
	// a slow drip 10 minutes, the distributed takeover wave 5 minutes
	// (issues 13 and 19).
	Deadline time.Duration
	// Evidence is when the first line the attack made or changed starts:
	// on a small site an endpoint that fails may see its first request
	// a minute after the failure began, and no detector can see it
	// sooner. The deadline runs from Evidence when it is later than
	// Start.
	Evidence time.Time
	// MaxSeverity, when set, is the most an alert may say: a marketing
	// blast raises at most a warning.
	MaxSeverity string
	// Deploy is the ordinary deploy's 20 s of 502s, when the window has
	// one: it may raise one 5xx alert that resolves within a minute.
	Deploy [2]time.Time
	// Known names the benign senders an alert may point at (an office
	// NAT, a crawler's network, the proxy in front), so that a reason can
	// say whom a false alert blamed.
	Known []Known
}

// Known is a network of benign senders and what they are.
type Known struct {
	Net   netip.Prefix
	Label string
}

// label returns what the known sender at key (an address or a network)
// is, or "".
func (t *Truth) label(key string) string {
	a, err := netip.ParseAddr(key)
	if err != nil {
		p, err := netip.ParsePrefix(key)
		if err != nil {
			return ""
		}
		a = p.Addr()
	}
	label, bits := "", -1
	for _, k := range t.Known {
		if k.Net.Contains(a.Unmap()) && k.Net.Bits() > bits {
			label, bits = k.Label, k.Net.Bits() // the most specific
		}
	}
	return label
}

// Scenario is one cell of the matrix: a site of one size on one window of
// its day, in one log format, with or without an attack.
type Scenario struct {
	Row      *Row
	Profile  Profile
	From, To time.Time
	// AttackAt is when the row's attack starts (zero for a benign row).
	AttackAt time.Time
	// DeployAt is when the day's deploy starts, if it falls in the window.
	DeployAt time.Time
	Seed     uint64
}

// Name is "row@size", the name tests and the command use.
func (sc *Scenario) Name() string { return sc.Row.Name + "@" + SizeLabel(sc.Profile.Size) }

// SizeLabel prints a size as the table heads it: "0.2", "2", "300".
func SizeLabel(size float64) string { return strconv.FormatFloat(size, 'f', -1, 64) }

// Generate writes the scenario's log to w in its row's format, and
// returns its ground truth and figures (without the per-address ones).
func (sc *Scenario) Generate(w io.Writer) (Truth, *Figures, error) {
	return sc.generate(w, false)
}

// Figures generates the scenario without writing it and returns its
// figures, the per-address ones included.
func (sc *Scenario) Figures() (*Figures, error) {
	_, f, err := sc.generate(io.Discard, true)
	return f, err
}

func (sc *Scenario) generate(w io.Writer, track bool) (Truth, *Figures, error) {
	f, err := NewFormat(sc.Row.Format, w, sc.Seed)
	if err != nil {
		return Truth{}, nil, err
	}
	fw := sc.Profile.Framework
	fig := newFigures(sc.From, sc.To, track)
	fig.frame(&fw)
	sim := NewSim(sc.From, sc.To, sc.Seed, func(q *Request) {
		fig.add(q)
		f.Write(q)
	})
	s := newSite(sim, &fw)
	p := sc.Profile
	p.populate(s, sc.From, sc.To)
	var truth Truth
	if sc.Row.Attack != nil {
		truth = sc.Row.Attack(s, &p, sc.AttackAt)
	}
	if !sc.DeployAt.IsZero() {
		match := dynamic
		if sc.Row.Format == FormatHeroku {
			match = nil // on Heroku the dynos serve the assets too
		}
		truth.Deploy = deploy(s, sc.DeployAt, match)
	}
	sim.Run()
	fig.done()
	if truth.Attack != "" {
		truth.Evidence = sim.Evidence()
	}
	truth.Known = sim.known
	if sc.Row.Format == FormatProxy {
		truth.Known = append(truth.Known, Known{netip.PrefixFrom(proxyAddr, 32), "the proxy in front"})
	}
	if err := f.Close(); err != nil {
		return truth, fig, fmt.Errorf("write %s: %w", sc.Name(), err)
	}
	return truth, fig, nil
}
