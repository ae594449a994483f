package replay_test

import (
	"context"
	"fmt"
	"os"

	"github.com/sentinel-dev/sentinel/alert"
	"github.com/sentinel-dev/sentinel/config"
	"github.com/sentinel-dev/sentinel/replay"
)

// Replaying a log through the embedded default rules, and listing the
// alert transitions.
func ExampleRun() {
	cfg := config.Default()
	inputs := []replay.Input{{Path: "../samples/5xx-storm.log"}}
	res, err := replay.Run(context.Background(), cfg, inputs, replay.Options{OnAlert: func(a alert.Alert) {
		fmt.Println(a.Time.Format("15:04:05"), a.Rule, a.State)
	}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	st := res.Stats[0]
	fmt.Printf("%d lines, format %s, %d fired\n", st.Lines, st.Format, res.Fired["5xx-surge"])
	// Output:
	// 09:12:23 5xx-surge firing
	// 09:12:41 5xx-partial firing
	// 09:13:24 5xx-sustained firing
	// 09:16:18 5xx-partial resolved
	// 09:16:41 5xx-surge resolved
	// 09:19:57 5xx-sustained resolved
	// 6473 lines, format combined, 1 fired
}
