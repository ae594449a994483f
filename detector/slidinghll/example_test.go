package slidinghll_test

import (
	"fmt"

	"github.com/sentinel-dev/sentinel/detector/slidinghll"
)

// A window of 60 one-second steps counts the distinct addresses of the
// last minute: ten new ones a second, so 600 once the window is full.
func ExampleWindow() {
	w := slidinghll.New(60)
	for sec := range int64(90) {
		for i := range int64(10) {
			ip := fmt.Appendf(nil, "203.0.113.%d:%d", (sec*10+i)%256, (sec*10+i)/256)
			w.Insert(sec, slidinghll.Hash(ip))
		}
	}
	fmt.Println("last minute:", w.Estimate())

	w.Advance(119) // thirty quiet seconds: the window keeps the last 30 seconds of traffic
	fmt.Println("after 30 quiet seconds:", w.Estimate())

	sk := w.Sketch() // an axiomhq sketch of the same values, to merge or to send
	fmt.Println("axiomhq:", sk.Estimate())
	// Output:
	// last minute: 600
	// after 30 quiet seconds: 300
	// axiomhq: 300
}

// A snapshot restores a window that goes on as the original.
func ExampleWindow_UnmarshalBinary() {
	w := slidinghll.New(3600)
	for i := range 1000 {
		w.Insert(int64(i/10), slidinghll.Hash(fmt.Appendf(nil, "user-%d", i)))
	}
	snap, err := w.MarshalBinary()
	if err != nil {
		panic(err)
	}

	var restored slidinghll.Window
	if err := restored.UnmarshalBinary(snap); err != nil {
		panic(err)
	}
	fmt.Println(restored.Span(), restored.Estimate(), w.Estimate())
	// Output:
	// 3600 1000 1000
}
