package report

// byRule keeps one value per rule, in the order the rules were first
// seen, for the trace sinks that take every evaluation of every rule. An
// engine evaluates its rules in one order at every boundary, so it
// expects the rule after the last one found: a look-up is then one
// comparison of the same string, where a map hashed the name every time.
type byRule[T any] struct {
	at    map[string]int
	names []string
	vals  []T
	next  int // the index the next look-up expects
}

// get returns the rule's value and true, or the zero value and false.
func (b *byRule[T]) get(rule string) (T, bool) {
	// The expected rule, or one of the few after it: a rule with wider
	// buckets is evaluated at some boundaries only, and the engine skips
	// it at the others.
	i, ok := 0, false
	for k := range min(lookAhead, len(b.names)) {
		if j := (b.next + k) % len(b.names); b.names[j] == rule {
			i, ok = j, true
			break
		}
	}
	if !ok {
		i, ok = b.at[rule]
	}
	if !ok {
		var zero T
		return zero, false
	}
	b.next = (i + 1) % len(b.names)
	return b.vals[i], true
}

// lookAhead is how many rules from the expected one get compares before
// it asks the map.
const lookAhead = 4

// add adds a rule not seen before, with its value.
func (b *byRule[T]) add(rule string, v T) {
	if b.at == nil {
		b.at = map[string]int{}
	}
	b.at[rule] = len(b.names)
	b.names, b.vals = append(b.names, rule), append(b.vals, v)
	b.next = 0 // the rule after the newest, which is the last
}

// all returns the values in the order their rules were first seen.
func (b *byRule[T]) all() []T { return b.vals }
