package edge

import (
	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	requests    *prometheus.CounterVec
	latency     *prometheus.HistogramVec
	cacheHits   *prometheus.CounterVec // CacheHitCount
	cacheMisses *prometheus.CounterVec // CacheMissCount
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_edge_requests_total",
			Help: "Requests answered by the edge, by API, stage and status class (2XX, 4XX, 5XX).",
		}, []string{"api", "stage", "class"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "portico_edge_integration_latency_seconds",
			Help:    "Integration latency by API and stage.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"api", "stage"}),
		cacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_edge_cache_hits_total",
			Help: "Requests answered from the stage cache, by API and stage (CacheHitCount).",
		}, []string{"api", "stage"}),
		cacheMisses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_edge_cache_misses_total",
			Help: "Requests of cached methods that the stage cache could not answer, by API and stage (CacheMissCount).",
		}, []string{"api", "stage"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.latency, m.cacheHits, m.cacheMisses} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// prepareStage resolves the stage's metric children once, so requests do not look them up.
func (m *metrics) prepareStage(st *stageState) {
	for i, class := range []string{"2XX", "4XX", "5XX"} {
		st.requests[i] = m.requests.WithLabelValues(st.apiID, st.name, class)
	}
}

func classIndex(code int) int {
	switch {
	case code >= 500:
		return 2
	case code >= 400:
		return 1
	default:
		return 0
	}
}

func statusClass(code int) string {
	switch {
	case code >= 500:
		return "5XX"
	case code >= 400:
		return "4XX"
	default:
		return "2XX"
	}
}
