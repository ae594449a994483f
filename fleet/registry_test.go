package fleet_test

import "github.com/prometheus/client_golang/prometheus"

func testRegistry() *prometheus.Registry { return prometheus.NewRegistry() }
