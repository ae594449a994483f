package parsers

// NormalizeIP folds an IPv4-mapped IPv6 address ("::ffff:1.2.3.4") to its
// IPv4 form and strips the brackets of "[::1]", so that one client has one
// key. It returns a subslice of b and never allocates.
func NormalizeIP(b []byte) []byte {
	if len(b) > 2 && b[0] == '[' && b[len(b)-1] == ']' {
		b = b[1 : len(b)-1]
	}
	const mapped = "::ffff:"
	if len(b) > len(mapped) && (string(b[:len(mapped)]) == mapped || string(b[:len(mapped)]) == "::FFFF:") {
		rest := b[len(mapped):]
		for _, c := range rest {
			if c == '.' {
				return rest
			}
		}
	}
	return b
}
