package tailer

import (
	"path/filepath"
	"strconv"
	"strings"
)

// compressedExts are the suffixes of compressed files, removed before a
// name is compared with its live file's.
var compressedExts = []string{".gz", ".bz2", ".xz", ".zst", ".lz4", ".lzma", ".Z", ".br", ".zip"}

// compressedWith returns the compression suffix of name, or "".
func compressedWith(name string) string {
	for _, ext := range compressedExts {
		if strings.HasSuffix(name, ext) {
			return ext
		}
	}
	return ""
}

// rotationOf reports whether name (in the same directory) is a rotated
// form of the live file base, as logrotate names them: base plus a
// suffix (access.log.1, access.log-20260101), the date or number before
// base's extension (access-20260101.log, with logrotate's dateext and
// extension), either possibly compressed (access.log.2.gz). The suffix
// starts with ".", "-" or "_", holds only digits and those separators,
// and at least one digit: access.log.old or access-error.log are other
// files.
func rotationOf(base, name string) bool {
	name = strings.TrimSuffix(name, compressedWith(name))
	if name == base {
		return false
	}
	if rest, ok := strings.CutPrefix(name, base); ok && rotationSuffix(rest) {
		return true
	}
	if ext := filepath.Ext(base); ext != "" && ext != base {
		stem := strings.TrimSuffix(base, ext)
		if rest, ok := strings.CutPrefix(name, stem); ok {
			if mid, ok := strings.CutSuffix(rest, ext); ok && rotationSuffix(mid) {
				return true
			}
		}
	}
	return false
}

func rotationSuffix(s string) bool {
	if s == "" || !strings.ContainsAny(s[:1], ".-_") {
		return false
	}
	digit := false
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c == '.' || c == '-' || c == '_':
		default:
			return false
		}
	}
	return digit
}

// rotationAge orders two rotated names of one file when their
// modification times are equal: with numbered names the higher number is
// older (access.log.2 before access.log.1); otherwise (dates) the lower
// sorts first. It returns a negative number when a is older.
func rotationAge(a, b string) int {
	na, oka := trailingNumber(a)
	nb, okb := trailingNumber(b)
	if oka && okb && na != nb {
		if na > nb {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// trailingNumber returns the number after the last "." of a name whose
// compression suffix is removed (access.log.12.gz: 12).
func trailingNumber(name string) (int, bool) {
	name = strings.TrimSuffix(name, compressedWith(name))
	i := strings.LastIndexByte(name, '.')
	if i < 0 {
		return 0, false
	}
	n, err := strconv.Atoi(name[i+1:])
	return n, err == nil && len(name[i+1:]) < 6 // a date is not a rotation number
}

// hasMeta reports whether a pattern is a glob rather than a path.
func hasMeta(p string) bool { return strings.ContainsAny(p, `*?[\`) }
