package config

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sentinel-dev/sentinel/fleet"
)

const fleetRule = `
rules:
  - name: r
    fleet: true
    detector: {type: rate, window: 10s, threshold: 5/s}
`

func TestParse_fleet(t *testing.T) {
	text := `
settings:
  fleet:
    redis: rediss://sentinel:${PW}@redis.internal:6380/1
    site: shop
    node: web-1
    lease: 5s
` + fleetRule
	env := func(k string) (string, bool) {
		switch k {
		case "PW":
			return "pw-1", true
		case fleet.EnvURL:
			return "redis://elsewhere:6379", true
		}
		return "", false
	}
	c, err := Parse("x.yaml", []byte(text), env)
	if err != nil {
		t.Fatal(err)
	}
	want := fleet.Settings{Redis: "rediss://sentinel:pw-1@redis.internal:6380/1", Site: "shop", Node: "web-1",
		Lease: 5 * time.Second, From: "settings.fleet.redis"}
	if c.Settings.Fleet != want {
		t.Errorf("Settings.Fleet = %+v, want %+v (the config's Redis wins over %s)", c.Settings.Fleet, want, fleet.EnvURL)
	}
	if !c.Rules[0].Fleet {
		t.Errorf("rule not fleet-wide")
	}
}

func TestParse_fleetEnv(t *testing.T) {
	env := func(k string) (string, bool) {
		if k == fleet.EnvURL {
			return " redis://127.0.0.1:6379/0 ", true
		}
		return "", false
	}
	c, err := Parse("x.yaml", []byte(fleetRule), env)
	if err != nil {
		t.Fatal(err)
	}
	if f := c.Settings.Fleet; f.Redis != "redis://127.0.0.1:6379/0" || f.From != fleet.EnvURL || f.Site != "" {
		t.Errorf("Settings.Fleet = %+v, want the variable's URL", f)
	}
	c, err = Parse("x.yaml", []byte(fleetRule), noEnv)
	if err != nil || c.Settings.Fleet.Enabled() {
		t.Errorf("without the variable: %+v, %v; want no fleet", c.Settings.Fleet, err)
	}
}

func TestParse_fleetErrors(t *testing.T) {
	const secret = "hunter2-secret"
	text := `
settings:
  fleet:
    redis: http://u:` + secret + `@host/
    site: "shop}:x"
    lease: 1s
    nodes: 3
` + fleetRule
	_, err := Parse("x.yaml", []byte(text), noEnv)
	var errs Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Parse() error = %v, want Errors", err)
	}
	got := err.Error()
	for _, want := range []string{
		"x.yaml:4: settings.fleet.redis: invalid URL",
		"x.yaml:5: settings.fleet.site:",
		"x.yaml:6: settings.fleet.lease: must be at least 2s",
		"x.yaml:7: settings.fleet.nodes: unknown key",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("errors:\n%s\nwant %q", got, want)
		}
	}
	if strings.Contains(got, secret) {
		t.Errorf("an error shows the password:\n%s", got)
	}
}
