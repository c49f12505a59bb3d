package connections

import (
	"errors"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	registered prometheus.Gauge
	manage     *prometheus.CounterVec
	kvDropped  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		registered: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "portico_connections_registered",
			Help: "WebSocket connections in the registry.",
		}),
		manage: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_connections_manage_requests_total",
			Help: "@connections operations served, by operation and result code.",
		}, []string{"op", "code"}),
		kvDropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portico_connections_kv_writes_dropped_total",
			Help: "Registry writes dropped because the write queue was full.",
		}),
	}
	if reg == nil {
		return m, nil
	}
	var errs []error
	for _, c := range []prometheus.Collector{m.registered, m.manage, m.kvDropped} {
		if err := reg.Register(c); err != nil {
			errs = append(errs, err)
		}
	}
	return m, errors.Join(errs...)
}
