package ratelimit

import "github.com/prometheus/client_golang/prometheus"

// Lease results, the values of the "result" label.
const (
	resultGranted     = "granted"
	resultThrottled   = "throttled"
	resultUnavailable = "unavailable"
	resultBadRequest  = "bad_request"
	// resultQuotaExceeded is a quota lease refused because the period's quota is used up.
	resultQuotaExceeded = "quota_exceeded"
)

type metrics struct {
	leases      *prometheus.CounterVec
	storeErrors prometheus.Counter
	liveEdges   prometheus.GaugeFunc
}

func newMetrics(reg prometheus.Registerer, liveEdges func() float64) (*metrics, error) {
	m := &metrics{
		leases: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_ratelimit_leases_total",
			Help: "Lease requests answered, by result (granted, throttled, quota_exceeded, unavailable, bad_request).",
		}, []string{"result"}),
		storeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portico_ratelimit_store_errors_total",
			Help: "Token-bucket store calls that failed (Redis down or slow).",
		}),
		liveEdges: prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "portico_ratelimit_live_edges",
			Help: "Edges heard from within the edge timeout.",
		}, liveEdges),
	}
	for _, r := range []string{resultGranted, resultThrottled, resultUnavailable, resultBadRequest, resultQuotaExceeded} {
		m.leases.WithLabelValues(r)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.leases, m.storeErrors, m.liveEdges} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
