package fleet

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
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

// TestSpanOf: the stretch of a shared window (step counters oldest
// first, missing ones nil) from its oldest bucket holding an event to its
// newest, both whole, for min_span.
func TestSpanOf(t *testing.T) {
	for _, tt := range []struct {
		vals []any
		want time.Duration
	}{
		{[]any{nil, "0", nil}, 0},
		{[]any{nil, "3", nil, nil}, 30 * time.Second},
		{[]any{"1", nil, "0", "2", nil}, 2 * time.Minute},
		{[]any{nil, "2", "0", "0", "0", "0", "0", "0", "0", "0", "1"}, 5 * time.Minute},
	} {
		cmd := redis.NewSliceCmd(context.Background())
		cmd.SetVal(tt.vals)
		if got, err := spanOf(cmd, 30*time.Second); err != nil || got != tt.want {
			t.Errorf("spanOf(%v) = %v, %v, want %v", tt.vals, got, err, tt.want)
		}
	}
	cmd := redis.NewSliceCmd(context.Background())
	cmd.SetVal([]any{"x"})
	if _, err := spanOf(cmd, time.Second); err == nil {
		t.Error("spanOf of a counter that is no number: no error")
	}
}
