package daemon

import "github.com/sentinel-dev/sentinel/tailer"

// tailerLine builds a tailer.Line ending at offset end.
func tailerLine(path string, text []byte, end int64) tailer.Line {
	return tailer.Line{Path: path, Text: text, Pos: tailer.Checkpoint{Path: path, Offset: end},
		Before: tailer.Checkpoint{Path: path, Offset: end - int64(len(text)) - 1}}
}
