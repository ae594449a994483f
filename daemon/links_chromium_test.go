package daemon

import (
	"bytes"
	"context"
	"flag"
	"image/png"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/sentinel-dev/sentinel/internal/testutil"
)

// screenshot, when set, is where TestDaemon_linksChromium writes its
// screenshot of the confirmation page (docs/img/confirm-phone.png in the
// README: go test ./daemon -run linksChromium -screenshot ../docs/img/confirm-phone.png).
var screenshot = flag.String("screenshot", "", "write the Chromium test's screenshot of the confirmation page to this file")

// EnvRequireChromium, when set (.ci/run sets it), makes the Chromium test
// fail rather than skip when no Chromium is installed.
const EnvRequireChromium = "SENTINEL_REQUIRE_CHROMIUM"

// chromiumPath returns the Chromium to drive, or skips the test (fails
// it when EnvRequireChromium is set).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv(EnvRequireChromium) != "" {
		t.Fatalf("no chromium on PATH and %s is set: install Debian's chromium package (.ci/run does)", EnvRequireChromium)
	}
	t.Skipf("no chromium on PATH (set %s to make this a failure)", EnvRequireChromium)
	return ""
}

// TestDaemon_linksChromium opens the founding flood's "Run signups-off
// now" link in headless Chromium as a phone (390×844, a phone's
// User-Agent), checks that the page's own style applies under its
// Content-Security-Policy and that it fits the screen, takes a screenshot,
// taps the button, and checks that the flag service got the signed
// request once.
func TestDaemon_linksChromium(t *testing.T) {
	chromium := chromiumPath(t)
	fs := testutil.NewFlagServer(t, "hmac-key")
	clock := &fakeClock{t: time.Date(2026, 11, 27, 1, 25, 0, 0, time.UTC)}
	_, slack, _, path, stop := linksDaemon(t, fs, clock)
	defer stop()
	writeUntil(t, sampleLines(t), 0, "27/Nov/2026:01:20:30", path)
	waitForLong(t, "the firing message with its buttons", time.Minute, func() bool { return len(slackButtons(t, slack)["Run signups-off now"]) > 0 })
	link := slackButtons(t, slack)["Run signups-off now"][0]

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.Flag("hide-scrollbars", true), chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(390, 844), chromedp.UserAgent(phoneUA)) // headless Chrome's own User-Agent is a scanner's
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	deadline, cancelDeadline := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelDeadline()
	go func() { <-deadline.Done(); cancel() }() // a hung browser fails the test, not CI

	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulatePortrait, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("button.run"))); err != nil {
		t.Fatalf("open %s: %v", link, err)
	}
	title, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil || title != "Run signups-off now?" {
		t.Fatalf("page title %q, %v", title, err)
	}
	// The page's style applies (its CSP allows it by hash), and nothing
	// is wider than the phone.
	style, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector("button.run")).backgroundColor + " " +
		document.documentElement.scrollWidth + " " + Math.round(document.querySelector("button.run").getBoundingClientRect().height)`))
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(style); len(f) < 5 || strings.Join(f[:3], " ") != "rgb(185, 28, 28)" || f[3] != "390" {
		t.Errorf("button background, page width, button height = %q; want the page's red, 390 (no horizontal scroll), ≥ 52", style)
	}
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(shot))
	if err != nil || cfg.Width != 390 || cfg.Height != 844 {
		t.Errorf("screenshot %dx%d (%v), want 390x844", cfg.Width, cfg.Height, err)
	}
	if *screenshot != "" {
		if err := os.WriteFile(*screenshot, shot, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(fs.Requests()); n != 0 {
		t.Fatalf("the flag service got %d requests before the tap", n)
	}

	if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("button.run")), chromedp.WaitVisible(chromedp.CSS("p.msg.ok"))); err != nil {
		t.Fatalf("tap the button: %v", err)
	}
	done, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1")))
	if err != nil || done != "Done: signups-off run" {
		t.Errorf("after the tap: %q, %v", done, err)
	}
	reqs := fs.Requests()
	if len(reqs) != 1 || reqs[0].Method != "PATCH" || !reqs[0].Signed || reqs[0].Status != 200 {
		t.Fatalf("flag requests = %+v, want one signed PATCH", reqs)
	}
	// Reloading the result page posts the form again: refused.
	if err := chromedp.Do(ctx, chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("h1"))); err == nil {
		if h1, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("h1"))); h1 != "This link was used already" {
			t.Errorf("after a reload: %q", h1)
		}
	}
	if n := len(fs.Requests()); n != 1 {
		t.Errorf("the flag service got %d requests, want 1", n)
	}
}
