package parsers

import "bytes"

// stripSyslog returns the message of a line behind a syslog header — the
// RFC 3164 form rsyslog and journald write ("Sep 15 16:13:46 host
// nginx[2869]: message"), the same with its priority as nginx's
// `access_log syslog:…` sends it ("<190>Sep 15 16:13:46 host nginx:
// message"), or the RFC 5424 form ("<190>1 2021-09-15T16:13:46Z host nginx
// 2869 - - message") — and the line itself when it has none. The header's
// time is dropped: the message carries its own.
func stripSyslog(line []byte) []byte {
	if len(line) > 0 && line[0] == '<' {
		if msg := strip5424(line); len(msg) < len(line) {
			return msg
		}
		// RFC 3164 with its priority: "<pri>" and the header that follows.
		end := bytes.IndexByte(line, '>')
		if end < 2 || end > 4 || !allDigits(line[1:end]) {
			return line
		}
		if msg := strip3164(line[end+1:]); len(msg) < len(line)-end-1 {
			return msg
		}
		return line
	}
	return strip3164(line)
}

// strip3164 skips "Mmm dd HH:MM:SS host tag: ", and returns the line itself
// when it has no such header.
func strip3164(line []byte) []byte {
	// "Mmm dd HH:MM:SS " with a space-padded day: 16 bytes.
	if len(line) < 17 || !isMonth(line[:3]) || line[3] != ' ' || line[6] != ' ' ||
		line[9] != ':' || line[12] != ':' || line[15] != ' ' {
		return line
	}
	rest := line[16:]
	// host, then the tag ending in ':' ("nginx:", "nginx[2869]:").
	sp := bytes.IndexByte(rest, ' ')
	if sp <= 0 {
		return line
	}
	rest = rest[sp+1:]
	colon := bytes.Index(rest, []byte(": "))
	if colon <= 0 || bytes.IndexByte(rest[:colon], ' ') >= 0 {
		return line
	}
	return rest[colon+2:]
}

// strip5424 skips "<pri>1 timestamp host app procid msgid sd ".
func strip5424(line []byte) []byte {
	var p platform
	if msg, ok := parse5424(line, &p, !withTime); ok {
		return msg
	}
	return line
}

func isMonth(b []byte) bool {
	for _, m := range months {
		if string(b) == m {
			return true
		}
	}
	return false
}
