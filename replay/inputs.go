package replay

import (
	"errors"
	"path/filepath"
	"time"

	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/parsers"
	"github.com/sentinel-dev/sentinel/source"
)

// ErrNoInputs means there is nothing to replay: no path given and no
// source in the config.
var ErrNoInputs = errors.New("nothing to replay")

// Inputs lists the files to read: paths, read in the given format with
// popts, or else, with no path, the files cfg's sources name (each glob
// expanded; one that matches nothing is kept, to be reported missing
// when read), with their own format and options. A format other than
// auto, popts' Location and popts' Date override the sources' own.
func Inputs(cfg *config.Config, paths []string, format string, popts parsers.Options) ([]Input, error) {
	var inputs []Input
	for _, a := range paths {
		inputs = append(inputs, Input{Path: a, Options: source.Options{Format: format, Parser: popts}})
	}
	if len(inputs) > 0 {
		return inputs, nil
	}
	for _, s := range cfg.Sources {
		globbed, err := filepath.Glob(s.Path)
		if err != nil || len(globbed) == 0 {
			globbed = []string{s.Path} // reported as missing when read
		}
		o := s.Options
		if popts.Location != nil {
			o.Location = popts.Location
		}
		if !popts.Date.IsZero() {
			o.Date = DayIn(popts.Date, o.Location) // the flag's day in the source's zone
		}
		f := s.Format
		if !parsers.IsAuto(format) {
			f = format
		}
		for _, p := range globbed {
			inputs = append(inputs, Input{Path: p, Options: source.Options{Format: f, Parser: o}})
		}
	}
	if len(inputs) == 0 {
		return nil, ErrNoInputs
	}
	return inputs, nil
}

// DayIn returns midnight of d's calendar day in loc (UTC when nil): a
// --date names a day, whatever zone the lines are in.
func DayIn(d time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	y, m, day := d.Date()
	return time.Date(y, m, day, 0, 0, 0, 0, loc)
}
