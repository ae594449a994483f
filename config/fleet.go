package config

import (
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sentinel-dev/sentinel/fleet"
)

// fleetSettings decodes settings.fleet: the Redis a fleet of sentinels
// shares (a secret: shown redacted only), the site it counts for, this
// node's name and the evaluator's lease.
func (d *decoder) fleetSettings(n *yaml.Node, s *fleet.Settings) {
	d.mapping(n, "settings.fleet", []string{"redis", "site", "node", "lease"}, func(key string, k, v *yaml.Node) {
		path := "settings.fleet." + key
		switch key {
		case "redis":
			u, ok := d.scalar(v, path)
			if !ok {
				return
			}
			if _, err := fleet.ParseURL(u); err != nil {
				d.errorf(v, path, "%v", err)
				return
			}
			s.Redis, s.From = u, path
		case "site", "node":
			name, ok := d.scalar(v, path)
			if !ok {
				return
			}
			if err := fleet.CheckName(name); err != nil {
				d.errorf(v, path, "%v", err)
				return
			}
			if key == "site" {
				s.Site = name
			} else {
				s.Node = name
			}
		case "lease":
			if l, ok := d.duration(v, path); ok {
				if l < fleet.MinLease {
					d.errorf(v, path, "must be at least %s", fleet.MinLease)
				}
				s.Lease = l
			}
		}
	})
}

// fleetEnv enables a fleet from SENTINEL_REDIS_URL when the config names
// no Redis. Its value is checked when the daemon starts (and by check),
// not here: a bad variable must not stop replay, which has no fleet.
func (d *decoder) fleetEnv(s *fleet.Settings) {
	if s.Redis != "" || d.lookup == nil {
		return
	}
	if u, ok := d.lookup(fleet.EnvURL); ok && strings.TrimSpace(u) != "" {
		s.Redis, s.From = strings.TrimSpace(u), fleet.EnvURL
	}
}
