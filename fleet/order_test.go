package fleet

import (
	"slices"
	"testing"

	"github.com/sentinel-dev/sentinel/detector"
)

// TestEvaluationOrder: the evaluator takes the drop rules last at each
// boundary, the others in the config's order (see evaluationOrder;
// detector's TestEngine_dropRuleOrder shows what a drop rule evaluated
// first learns).
func TestEvaluationOrder(t *testing.T) {
	rule := func(name string, down bool) *fleetRule {
		return &fleetRule{rule: detector.Rule{Name: name, Baseline: &detector.Baseline{Down: down}}}
	}
	in := []*fleetRule{rule("log-stops", true), rule("signup-burst", false), rule("traffic-drop", true),
		{rule: detector.Rule{Name: "5xx-surge"}}, rule("traffic-spike", false)}
	var got []string
	for _, r := range evaluationOrder(in) {
		got = append(got, r.rule.Name)
	}
	if want := []string{"signup-burst", "5xx-surge", "traffic-spike", "log-stops", "traffic-drop"}; !slices.Equal(got, want) {
		t.Errorf("evaluationOrder = %v, want %v", got, want)
	}
	if in[0].rule.Name != "log-stops" {
		t.Errorf("evaluationOrder reordered its argument")
	}
}
