package authz

import "github.com/prometheus/client_golang/prometheus"

// Check results, the values of the result label.
const (
	resultAllow = "allow"
	resultDeny  = "deny"
	resultError = "error"
)

type metrics struct {
	checks        *prometheus.CounterVec
	allow         prometheus.Counter
	deny          prometheus.Counter
	bad           prometheus.Counter
	apiKeys       prometheus.Gauge
	invalidations prometheus.Counter
	customCalls   prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_authz_checks_total",
			Help: "Authorization checks answered, by result (allow, deny, error).",
		}, []string{"result"}),
		apiKeys: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "portico_authz_api_keys",
			Help: "API keys in the in-memory index.",
		}),
		invalidations: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "portico_authz_invalidations_total",
			Help: "Invalidations published after an API key changed.",
		}),
	}
	m.customCalls = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "portico_authz_custom_authorizer_calls_total",
		Help: "Requests sent to custom authorizer functions.",
	})
	m.allow = m.checks.WithLabelValues(resultAllow)
	m.deny = m.checks.WithLabelValues(resultDeny)
	m.bad = m.checks.WithLabelValues(resultError)
	for _, c := range []prometheus.Collector{m.checks, m.apiKeys, m.invalidations, m.customCalls} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
