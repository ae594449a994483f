package detector

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sentinel-dev/sentinel/alert"
)

// TestKindTable: the one registration of the detector types gives Types,
// the constructors and the units, each type once.
func TestKindTable(t *testing.T) {
	if diff := cmp.Diff([]Type{Rate, Distinct, Ratio, Absence}, Types[:min(4, len(Types))]); diff != "" {
		t.Errorf("Types, the built-in first (-want +got):\n%s", diff)
	}
	if len(Types) != len(kindTable) {
		t.Errorf("Types has %d types, kindTable %d", len(Types), len(kindTable))
	}
	seen := map[Type]bool{}
	for i, e := range kindTable {
		if i < len(Types) && Types[i] != e.typ {
			t.Errorf("Types[%d] = %s, kindTable's = %s", i, Types[i], e.typ)
		}
		if seen[e.typ] {
			t.Errorf("type %s registered twice", e.typ)
		}
		seen[e.typ] = true
		if e.new == nil || e.unit == "" {
			t.Errorf("type %s: constructor or unit missing", e.typ)
		}
		if kinds[e.typ] == nil {
			t.Errorf("kinds has no constructor for %s", e.typ)
		}
	}
	for typ, want := range map[Type]alert.Unit{Rate: alert.PerSecond, Distinct: alert.Distinct, Ratio: alert.Share, Absence: alert.Silent, "nosuch": ""} {
		if got := typ.Unit(); got != want {
			t.Errorf("%s.Unit() = %q, want %q", typ, got, want)
		}
	}
}

// TestKindTable_problems: a type's own checks, set in its entry, are part
// of Rule.Problems, after the shared ones.
func TestKindTable_problems(t *testing.T) {
	i := slices.IndexFunc(kindTable, func(e kindEntry) bool { return e.typ == Rate })
	saved := kindTable[i]
	t.Cleanup(func() { kindTable[i] = saved })
	kindTable[i].problems = func(r *Rule) []Problem {
		if r.Threshold > 100 {
			return []Problem{{"detector.threshold", "at most 100"}}
		}
		return nil
	}
	ok := Rule{Name: "r", Type: Rate, Window: time.Minute, Threshold: 5}
	if ps := ok.Problems(time.Second); len(ps) != 0 {
		t.Errorf("Problems() = %v, want none", ps)
	}
	high := Rule{Name: "r", Type: Rate, Window: 0, Threshold: 500}
	want := []Problem{{"detector.window", "must be within 1s..24h0m0s"}, {"detector.threshold", "at most 100"}}
	if diff := cmp.Diff(want, high.Problems(time.Second)); diff != "" {
		t.Errorf("Problems() (-want +got):\n%s", diff)
	}
}
