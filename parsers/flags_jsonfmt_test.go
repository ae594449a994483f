package parsers

import "flag"

var updateGolden = flag.Bool("update", false, "rewrite golden files")
