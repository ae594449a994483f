package alert

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// FormatValue prints a value in its unit: "240.5/s", "0.2/s", "34 distinct",
// "32.5%" for a share, "5m silent" for an absence. A rate under 0.1/s is
// printed per minute, and under one a minute per hour ("1.5/min", "3/h"),
// so that a slow rule's figures never read "0/s".
func FormatValue(v float64, unit Unit) string {
	if unit == PerSecond && v > 0 && v < 0.1 {
		if v*60 >= 1 {
			return formatNumber(v*60) + "/min"
		}
		return formatNumber(v*3600) + "/h"
	}
	s := formatNumber(v)
	switch unit {
	case Distinct:
		return s + " distinct"
	case Share:
		return strings.TrimSuffix(strconv.FormatFloat(100*v, 'f', 1, 64), ".0") + "%"
	case Silent:
		return FormatDuration(time.Duration(v*float64(time.Second))) + " silent"
	}
	return s + string(unit)
}

// formatNumber prints a number with the precision a reader needs: whole
// numbers with thousands separators, at most two decimals under 10.
func formatNumber(v float64) string {
	var s string
	switch {
	case v == float64(int64(v)) && v < 1e15:
		s = Thousands(uint64(max(v, 0)))
	case v >= 100 && v < 1e15:
		s = Thousands(uint64(math.Round(v)))
	case v >= 10:
		s = strings.TrimSuffix(strconv.FormatFloat(v, 'f', 1, 64), ".0")
	default:
		s = strings.TrimRight(strings.TrimRight(strconv.FormatFloat(v, 'f', 2, 64), "0"), ".")
	}
	return s
}

// FormatDuration prints whole seconds compactly: 30s, 1m, 1m9s, 2h5m.
func FormatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d <= 0 {
		return "0s"
	}
	h, m, sec := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	var b strings.Builder
	if h > 0 {
		fmt.Fprintf(&b, "%dh", h)
	}
	if m > 0 {
		fmt.Fprintf(&b, "%dm", m)
	}
	if sec > 0 {
		fmt.Fprintf(&b, "%ds", sec)
	}
	return b.String()
}

// Thousands formats n with commas: 4812 → "4,812".
func Thousands(n uint64) string {
	s := strconv.FormatUint(n, 10)
	if len(s) <= 3 {
		return s
	}
	var b strings.Builder
	pre := len(s) % 3
	if pre > 0 {
		b.WriteString(s[:pre])
	}
	for i := pre; i < len(s); i += 3 {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s[i : i+3])
	}
	return b.String()
}

// Sanitize makes attacker-controlled text safe for a terminal: control
// characters (ANSI escapes included) and invalid UTF-8 become \xHH,
// bidirectional overrides and line separators (which can make a line read
// backwards or split it) become \uXXXX, and the result is cut to maxRunes
// with an ellipsis.
func Sanitize(s string, maxRunes int) string {
	return mapRunes(s, maxRunes, func(b *strings.Builder, r rune, raw string) {
		switch {
		case r == utf8.RuneError && len(raw) == 1, IsControl(r):
			for _, c := range []byte(raw) {
				fmt.Fprintf(b, `\x%02x`, c)
			}
		case IsBidiOrBreak(r):
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteString(raw)
		}
	})
}

// IsBidiOrBreak reports the characters that reorder or break displayed
// text: bidirectional embeddings, overrides, isolates and marks, and the
// Unicode line and paragraph separators.
func IsBidiOrBreak(r rune) bool {
	return r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069 || r == 0x200e || r == 0x200f ||
		r == 0x061c || r == 0x2028 || r == 0x2029
}

// FormatCount prints a top offender's count: "4,812", or, for a
// Space-Saving estimate, the range its true count lies in, from Count
// minus Error to Count: "4,700–4,812".
func FormatCount(k KeyCount) string {
	if k.Error > 0 && k.Error <= k.Count {
		return Thousands(k.Count-k.Error) + "–" + Thousands(k.Count)
	}
	return Thousands(k.Count)
}
