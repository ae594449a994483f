package parsers

import (
	"encoding/binary"
	"time"
)

// clfLen is the length of a CLF time stamp, "10/Oct/2000:13:55:36 -0700".
const clfLen = 26

// clfClock parses CLF time stamps ("10/Oct/2000:13:55:36 -0700", the
// $time_local of nginx and %t of Apache) by hand, remembering the last one:
// access logs repeat the same second many times, so most lines cost one
// 26-byte comparison. It is not safe for concurrent use.
type clfClock struct {
	last  [clfLen]byte
	lastT time.Time
	valid bool
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// parse returns the UTC time of b, which must be exactly a CLF stamp.
func (c *clfClock) parse(b []byte) (time.Time, bool) {
	if len(b) != clfLen {
		return time.Time{}, false
	}
	if c.valid && sameStamp(b, &c.last) {
		return c.lastT, true
	}
	t, ok := parseCLF(b)
	if ok {
		copy(c.last[:], b)
		c.lastT, c.valid = t, true
	}
	return t, ok
}

// sameStamp reports whether the 26 bytes of b are those of last. It
// compares them as four overlapping 8-byte words: this runs on every line,
// and a call of memequal costs twice as much.
func sameStamp(b []byte, last *[clfLen]byte) bool {
	le := binary.LittleEndian
	return le.Uint64(b[18:]) == le.Uint64(last[18:]) && le.Uint64(b[10:]) == le.Uint64(last[10:]) &&
		le.Uint64(b[2:]) == le.Uint64(last[2:]) && le.Uint16(b) == le.Uint16(last[:])
}

// parseCLF parses a 26-byte CLF stamp without the cache.
func parseCLF(b []byte) (time.Time, bool) {
	if len(b) != clfLen || b[2] != '/' || b[6] != '/' || b[11] != ':' || b[14] != ':' || b[17] != ':' || b[20] != ' ' {
		return time.Time{}, false
	}
	day, ok1 := digits(b[0:2])
	year, ok2 := digits(b[7:11])
	hour, ok3 := digits(b[12:14])
	minute, ok4 := digits(b[15:17])
	sec, ok5 := digits(b[18:20])
	oh, ok6 := digits(b[22:24])
	om, ok7 := digits(b[24:26])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7) {
		return time.Time{}, false
	}
	month := 0
	for i, m := range months {
		if string(b[3:6]) == m {
			month = i + 1
			break
		}
	}
	if month == 0 || day < 1 || day > 31 || hour > 23 || minute > 59 || sec > 60 || oh > 23 || om > 59 {
		return time.Time{}, false
	}
	offset := (oh*60 + om) * 60
	switch b[21] {
	case '+':
	case '-':
		offset = -offset
	default:
		return time.Time{}, false
	}
	t := time.Date(year, time.Month(month), day, hour, minute, 0, 0, time.UTC)
	if t.Day() != day { // 31/Feb and the like
		return time.Time{}, false
	}
	return t.Add(time.Duration(sec-offset) * time.Second), true
}

// digits parses an unsigned decimal of at most 9 digits.
func digits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
