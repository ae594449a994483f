package parsers

import (
	"bytes"
	"unicode/utf8"
)

// This file is the one JSON scanner of the package: the JSON format
// (jsonlines.go) and the Fly.io envelope of the Phoenix format
// (phoenix.go) both read objects with it. It checks no more than a
// decoder needs (strings end, brackets balance, members are separated by
// commas), takes bytes ≥ 0x80 as they are, valid UTF-8 or not, and never
// allocates: values are returned as slices of the input.

// jsonMembers walks the members of one JSON object. After next returns a
// key, i is the start of the member's value: the caller reads or skips
// the value and sets i to the index after it before calling next again.
type jsonMembers struct {
	s    []byte
	i    int
	more bool // a member was read: the next one follows a comma
	bad  bool // the object is not well formed
}

// openMembers starts a walk over the object at s[i], which must be '{'.
func openMembers(s []byte, i int) jsonMembers {
	if i >= len(s) || s[i] != '{' {
		return jsonMembers{s: s, i: i, bad: true}
	}
	return jsonMembers{s: s, i: i + 1}
}

// next reads the key of the next member and the colon after it. key is
// the raw contents of the key string (escapes unresolved, esc tells
// whether there are any). At the closing brace it returns ok false with i
// just after the brace; on bad JSON it returns ok false and sets bad.
func (m *jsonMembers) next() (key []byte, esc, ok bool) {
	if m.bad {
		return nil, false, false
	}
	s := m.s
	i := skipWS(s, m.i)
	if i < len(s) && s[i] == '}' {
		m.i = i + 1
		return nil, false, false
	}
	if m.more {
		if i >= len(s) || s[i] != ',' {
			return m.fail(i)
		}
		i = skipWS(s, i+1)
	}
	if i >= len(s) || s[i] != '"' {
		return m.fail(i)
	}
	start, end, esc, next, ok := scanString(s, i)
	if !ok {
		return m.fail(next)
	}
	i = skipWS(s, next)
	if i >= len(s) || s[i] != ':' {
		return m.fail(i)
	}
	i = skipWS(s, i+1)
	if i >= len(s) {
		return m.fail(i)
	}
	m.i, m.more = i, true
	return s[start:end], esc, true
}

func (m *jsonMembers) fail(i int) ([]byte, bool, bool) {
	m.i, m.bad = i, true
	return nil, false, false
}

// rawValue skips the value at m.i and returns it as it is in the input
// (a string keeps its quotes).
func (m *jsonMembers) rawValue() ([]byte, bool) {
	end, ok := skipValue(m.s, m.i)
	if !ok {
		m.fail(end)
		return nil, false
	}
	v := m.s[m.i:end]
	m.i = end
	return v, true
}

// jsonString returns the contents of the JSON string v (with its quotes)
// when it has no escapes, or nil.
func jsonString(v []byte) []byte {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' || bytes.IndexByte(v, '\\') >= 0 {
		return nil
	}
	return v[1 : len(v)-1]
}

func skipWS(s []byte, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n') {
		i++
	}
	return i
}

// scanString finds the string at s[i] == '"': its contents are
// s[start:end], esc tells whether they hold a backslash, and next is the
// index after the closing quote.
func scanString(s []byte, i int) (start, end int, esc bool, next int, ok bool) {
	start = i + 1
	k := start
	for {
		q := bytes.IndexByte(s[k:], '"')
		if q < 0 {
			return start, len(s), esc, len(s), false
		}
		q += k
		b := bytes.IndexByte(s[k:q], '\\')
		if b < 0 {
			return start, q, esc, q + 1, true
		}
		// Walk the escapes up to the candidate quote: it may be escaped.
		esc = true
		k += b
		for k < q {
			if s[k] == '\\' {
				k += 2
			} else {
				k++
			}
		}
		if k == q {
			return start, q, esc, q + 1, true
		}
		k = q + 1 // the quote was escaped; look further
	}
}

// scanToken returns the end of the number or literal at s[i].
func scanToken(s []byte, i int) int {
	for i < len(s) {
		switch s[i] {
		case ',', '}', ']', ' ', '\t', '\r', '\n', '"', '{', '[', ':':
			return i
		}
		i++
	}
	return i
}

// skipValue returns the index after the value at s[i], checking no more
// than that brackets balance and strings end.
func skipValue(s []byte, i int) (int, bool) {
	switch s[i] {
	case '"':
		_, _, _, next, ok := scanString(s, i)
		return next, ok
	case '{', '[':
	default:
		end := scanToken(s, i)
		return end, end > i
	}
	depth := 0
	for i < len(s) {
		switch s[i] {
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1, true
			}
		case '"':
			// Inside a skipped object strings are mostly short keys: a
			// byte loop costs less than scanString's searches.
			for i++; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' {
					i++
				}
			}
			if i >= len(s) {
				return i, false
			}
		}
		i++
	}
	return i, false
}

// appendUnescaped appends the JSON string contents src to dst with its
// escapes resolved. The result is never longer than src. Invalid escapes
// are kept as they are and lone surrogates become U+FFFD; raw bytes,
// valid UTF-8 or not, are copied.
func appendUnescaped(dst, src []byte) []byte {
	for i := 0; i < len(src); {
		k := bytes.IndexByte(src[i:], '\\')
		if k < 0 {
			return append(dst, src[i:]...)
		}
		dst = append(dst, src[i:i+k]...)
		i += k
		if i+1 >= len(src) {
			return append(dst, '\\')
		}
		switch e := src[i+1]; e {
		case '"', '\\', '/':
			dst = append(dst, e)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(src[i+2:])
			if !ok {
				dst = append(dst, '\\', 'u')
				i += 2
				continue
			}
			i += 6
			if utf16IsSurrogate(r) {
				r2, ok2 := rune(0), false
				if r < 0xDC00 && i+1 < len(src) && src[i] == '\\' && src[i+1] == 'u' {
					r2, ok2 = hex4(src[i+2:])
				}
				if ok2 && r2 >= 0xDC00 && r2 <= 0xDFFF {
					r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			dst = utf8.AppendRune(dst, r)
			continue
		default:
			dst = append(dst, '\\', e)
		}
		i += 2
	}
	return dst
}

func utf16IsSurrogate(r rune) bool { return r >= 0xD800 && r <= 0xDFFF }

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// eachMember calls f with the raw key and value of each member of the
// object v, up to the first fault; a v that is no object has none.
func eachMember(v []byte, f func(key, val []byte)) {
	m := openMembers(v, 0)
	for {
		k, _, ok := m.next()
		if !ok {
			return
		}
		val, ok := m.rawValue()
		if !ok {
			return
		}
		f(k, val)
	}
}
