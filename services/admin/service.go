package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/portico/portico/pkg/telemetry"
)

// Version is reported by GET /portico/info.
var Version = "dev"

// Bounds of the HTTP server.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 60 * time.Second
	writeTimeout      = 60 * time.Second
	shutdownTimeout   = 10 * time.Second
	maxHeaderBytes    = 64 << 10
	storeTimeout      = 10 * time.Second
	maxSigningSkew    = 15 * time.Minute
)

// Deps are the service's collaborators.
type Deps struct {
	Logger  *slog.Logger
	Tracer  trace.TracerProvider
	Metrics prometheus.Registerer
	NATS    *nats.Conn
}

// Service is the admin control plane.
type Service struct {
	cfg     Config
	log     *slog.Logger
	tracer  trace.Tracer
	nc      *nats.Conn
	auth    authenticator
	limiter *requestLimiter
	metrics *metrics
	handler http.Handler

	mu sync.Mutex
	st *store // opened on first use; see storeFor
}

// New validates cfg and builds the service. It does no I/O and starts no goroutines.
func New(cfg Config, deps Deps) (*Service, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("admin config: %w", err)
	}
	if deps.NATS == nil {
		return nil, errors.New("admin: Deps.NATS is required")
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.Tracer == nil {
		deps.Tracer = noop.NewTracerProvider()
	}
	m, err := newMetrics(deps.Metrics)
	if err != nil {
		return nil, err
	}
	s := &Service{
		cfg:     cfg,
		log:     deps.Logger,
		tracer:  deps.Tracer.Tracer("github.com/portico/portico/services/admin"),
		nc:      deps.NATS,
		auth:    newAuthenticator(cfg),
		limiter: newRequestLimiter(cfg.RateLimit, cfg.Burst),
		metrics: m,
	}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the control-plane HTTP handler (authentication included).
func (s *Service) Handler() http.Handler { return s.handler }

// Run opens the config bucket, serves cfg.Addr until ctx is done, then drains in-flight
// requests. It returns nil after a clean shutdown.
func (s *Service) Run(ctx context.Context) error {
	if _, err := s.storeFor(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("admin listen: %w", err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	s.log.Info("admin listening", "addr", ln.Addr().String())
	select {
	case err := <-errc:
		return fmt.Errorf("admin serve: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("admin shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("admin serve: %w", err)
	}
	s.log.Info("admin stopped")
	return nil
}

// storeFor returns the store, creating or binding the config bucket the first time.
func (s *Service) storeFor(ctx context.Context) (*store, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st != nil {
		return s.st, nil
	}
	js, err := jetstream.New(s.nc)
	if err != nil {
		return nil, fmt.Errorf("admin jetstream: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	kv, err := openBucket(ctx, js, s.cfg.KVReplicas)
	if err != nil {
		return nil, err
	}
	s.st = &store{kv: kv}
	return s.st, nil
}

// op is one control-plane operation: it returns a status and a JSON body (nil for none).
type op func(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error)

// handle wraps an operation with body bounds, authentication, a server span, metrics and
// AWS-shaped errors.
func (s *Service) handle(name string, fn op) http.Handler {
	return s.handleAs(name, fn, writeError)
}

// handleAs is handle with the protocol's error writer.
func (s *Service) handleAs(name string, fn op, writeError func(http.ResponseWriter, *apiError, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := telemetry.Propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		ctx, span := s.tracer.Start(ctx, "admin."+name, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(attribute.String("http.request.method", r.Method), attribute.String("aws.operation", name)))
		defer span.End()
		status, body, err := s.serve(ctx, r, fn)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				s.log.ErrorContext(ctx, "admin operation failed", "op", name, "err", err)
				span.RecordError(err)
				ae = errInternal
			}
			span.SetStatus(codes.Error, ae.Type)
			s.metrics.requests.WithLabelValues(name, fmt.Sprint(ae.Status)).Inc()
			writeError(w, ae, err)
			return
		}
		s.metrics.requests.WithLabelValues(name, fmt.Sprint(status)).Inc()
		if raw, ok := body.(rawBody); ok {
			w.Header().Set("Content-Type", raw.contentType)
			if raw.disposition != "" {
				w.Header().Set("Content-Disposition", raw.disposition)
			}
			w.WriteHeader(status)
			_, _ = w.Write(raw.data)
			return
		}
		if body == nil {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, body)
	})
}

func (s *Service) serve(ctx context.Context, r *http.Request, fn op) (int, any, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return 0, nil, errTooLarge
		}
		return 0, nil, badRequest("could not read request body")
	}
	if ae := s.auth.authenticate(r, body); ae != nil {
		return 0, nil, ae
	}
	if ok, _ := s.limiter.allow(time.Now()); !ok {
		return 0, nil, errTooManyRequests
	}
	st, err := s.storeFor(ctx)
	if err != nil {
		return 0, nil, err
	}
	return fn(ctx, st, r, body)
}

func (s *Service) routes() http.Handler {
	mux := http.NewServeMux()
	h := func(pattern, name string, fn op) { mux.Handle(pattern, s.handle(name, fn)) }
	h("POST /restapis", "CreateRestApi", s.createOrImportRestAPI)
	h("GET /restapis", "GetRestApis", s.getRestAPIs)
	h("GET /restapis/{restapi_id}", "GetRestApi", s.getRestAPI)
	h("PUT /restapis/{restapi_id}", "PutRestApi", s.putRestAPI)
	h("DELETE /restapis/{restapi_id}", "DeleteRestApi", s.deleteRestAPI)
	h("GET /restapis/{restapi_id}/resources", "GetResources", s.getResources)
	h("GET /restapis/{restapi_id}/resources/{resource_id}", "GetResource", s.getResource)
	h("GET /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}", "GetMethod", s.getMethod)
	h("GET /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration", "GetIntegration", s.getMethodIntegration)
	h("PATCH /restapis/{restapi_id}", "UpdateRestApi", s.updateRestAPI)
	h("POST /restapis/{restapi_id}/resources/{parent_id}", "CreateResource", s.createResource)
	h("PATCH /restapis/{restapi_id}/resources/{resource_id}", "UpdateResource", s.updateResource)
	h("DELETE /restapis/{restapi_id}/resources/{resource_id}", "DeleteResource", s.deleteResource)
	h("PUT /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}", "PutMethod", s.putMethod)
	h("PATCH /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}", "UpdateMethod", s.updateMethod)
	h("DELETE /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}", "DeleteMethod", s.deleteMethod)
	h("PUT /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/responses/{status_code}", "PutMethodResponse", s.putMethodResponse)
	h("GET /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/responses/{status_code}", "GetMethodResponse", s.getMethodResponse)
	h("PATCH /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/responses/{status_code}", "UpdateMethodResponse", s.updateMethodResponse)
	h("DELETE /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/responses/{status_code}", "DeleteMethodResponse", s.deleteMethodResponse)
	h("PUT /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration", "PutIntegration", s.putIntegration)
	h("PATCH /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration", "UpdateIntegration", s.updateIntegration)
	h("DELETE /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration", "DeleteIntegration", s.deleteIntegration)
	h("PUT /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration/responses/{status_code}", "PutIntegrationResponse", s.putIntegrationResponse)
	h("GET /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration/responses/{status_code}", "GetIntegrationResponse", s.getIntegrationResponse)
	h("PATCH /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration/responses/{status_code}", "UpdateIntegrationResponse", s.updateIntegrationResponse)
	h("DELETE /restapis/{restapi_id}/resources/{resource_id}/methods/{http_method}/integration/responses/{status_code}", "DeleteIntegrationResponse", s.deleteIntegrationResponse)
	h("DELETE /restapis/{restapi_id}/deployments/{deployment_id}", "DeleteDeployment", s.deleteDeployment)
	h("PATCH /restapis/{restapi_id}/deployments/{deployment_id}", "UpdateDeployment", s.updateDeployment)
	h("PATCH /v2/apis/{api_id}", "UpdateApi", s.updateV2API)
	h("PATCH /v2/apis/{api_id}/deployments/{deployment_id}", "UpdateDeploymentV2", s.updateV2Deployment)
	h("POST /restapis/{restapi_id}/models", "CreateModel", s.createModel)
	h("GET /restapis/{restapi_id}/models", "GetModels", s.getModels)
	h("GET /restapis/{restapi_id}/models/{model_name}", "GetModel", s.getModel)
	h("PATCH /restapis/{restapi_id}/models/{model_name}", "UpdateModel", s.updateModel)
	h("DELETE /restapis/{restapi_id}/models/{model_name}", "DeleteModel", s.deleteModel)
	h("POST /restapis/{restapi_id}/requestvalidators", "CreateRequestValidator", s.createRequestValidator)
	h("GET /restapis/{restapi_id}/requestvalidators", "GetRequestValidators", s.getRequestValidators)
	h("GET /restapis/{restapi_id}/requestvalidators/{requestvalidator_id}", "GetRequestValidator", s.getRequestValidator)
	h("PATCH /restapis/{restapi_id}/requestvalidators/{requestvalidator_id}", "UpdateRequestValidator", s.updateRequestValidator)
	h("DELETE /restapis/{restapi_id}/requestvalidators/{requestvalidator_id}", "DeleteRequestValidator", s.deleteRequestValidator)
	h("POST /restapis/{restapi_id}/authorizers", "CreateAuthorizer", s.createAuthorizer)
	h("GET /restapis/{restapi_id}/authorizers", "GetAuthorizers", s.getAuthorizers)
	h("GET /restapis/{restapi_id}/authorizers/{authorizer_id}", "GetAuthorizer", s.getAuthorizer)
	h("PATCH /restapis/{restapi_id}/authorizers/{authorizer_id}", "UpdateAuthorizer", s.updateAuthorizer)
	h("DELETE /restapis/{restapi_id}/authorizers/{authorizer_id}", "DeleteAuthorizer", s.deleteAuthorizer)
	h("GET /restapis/{restapi_id}/gatewayresponses", "GetGatewayResponses", s.getGatewayResponses)
	h("GET /restapis/{restapi_id}/gatewayresponses/{response_type}", "GetGatewayResponse", s.getGatewayResponse)
	h("PUT /restapis/{restapi_id}/gatewayresponses/{response_type}", "PutGatewayResponse", s.putGatewayResponse)
	h("PATCH /restapis/{restapi_id}/gatewayresponses/{response_type}", "UpdateGatewayResponse", s.updateGatewayResponse)
	h("DELETE /restapis/{restapi_id}/gatewayresponses/{response_type}", "DeleteGatewayResponse", s.deleteGatewayResponse)
	h("POST /restapis/{restapi_id}/deployments", "CreateDeployment", s.createDeployment)
	h("GET /restapis/{restapi_id}/deployments", "GetDeployments", s.getDeployments)
	h("GET /restapis/{restapi_id}/deployments/{deployment_id}", "GetDeployment", s.getDeployment)
	h("POST /restapis/{restapi_id}/stages", "CreateStage", s.createStage)
	h("GET /restapis/{restapi_id}/stages", "GetStages", s.getStages)
	h("GET /restapis/{restapi_id}/stages/{stage_name}", "GetStage", s.getStage)
	h("PATCH /restapis/{restapi_id}/stages/{stage_name}", "UpdateStage", s.updateStage)
	h("DELETE /restapis/{restapi_id}/stages/{stage_name}", "DeleteStage", s.deleteStage)
	h("DELETE /restapis/{restapi_id}/stages/{stage_name}/cache/data", "FlushStageCache", s.flushStageCache)
	h("DELETE /restapis/{restapi_id}/stages/{stage_name}/cache/authorizers", "FlushStageAuthorizersCache", s.flushStageAuthorizersCache)
	h("GET /restapis/{restapi_id}/stages/{stage_name}/exports/{export_type}", "GetExport", s.getExport)
	h("POST /portico/iam/users", "CreateIamUser", s.createIAMUser)
	h("GET /portico/iam/users", "GetIamUsers", s.getIAMUsers)
	h("PATCH /portico/iam/users/{access_key_id}", "UpdateIamUser", s.updateIAMUser)
	h("DELETE /portico/iam/users/{access_key_id}", "DeleteIamUser", s.deleteIAMUser)
	h("POST /apikeys", "CreateApiKey", s.createAPIKey)
	h("GET /apikeys", "GetApiKeys", s.getAPIKeys)
	h("GET /apikeys/{api_key}", "GetApiKey", s.getAPIKey)
	h("PATCH /apikeys/{api_key}", "UpdateApiKey", s.updateAPIKey)
	h("DELETE /apikeys/{api_key}", "DeleteApiKey", s.deleteAPIKey)
	h("POST /usageplans", "CreateUsagePlan", s.createUsagePlan)
	h("GET /usageplans", "GetUsagePlans", s.getUsagePlans)
	h("GET /usageplans/{usageplan_id}", "GetUsagePlan", s.getUsagePlan)
	h("PATCH /usageplans/{usageplan_id}", "UpdateUsagePlan", s.updateUsagePlan)
	h("DELETE /usageplans/{usageplan_id}", "DeleteUsagePlan", s.deleteUsagePlan)
	h("POST /usageplans/{usageplan_id}/keys", "CreateUsagePlanKey", s.createUsagePlanKey)
	h("GET /usageplans/{usageplan_id}/keys", "GetUsagePlanKeys", s.getUsagePlanKeys)
	h("GET /usageplans/{usageplan_id}/keys/{key_id}", "GetUsagePlanKey", s.getUsagePlanKey)
	h("DELETE /usageplans/{usageplan_id}/keys/{key_id}", "DeleteUsagePlanKey", s.deleteUsagePlanKey)
	h("GET /usageplans/{usageplan_id}/usage", "GetUsage", s.getUsage)
	h("PATCH /usageplans/{usageplan_id}/keys/{key_id}/usage", "UpdateUsage", s.updateUsage)
	h("POST /domainnames", "CreateDomainName", s.createDomainName)
	h("GET /domainnames", "GetDomainNames", s.getDomainNames)
	h("GET /domainnames/{domain_name}", "GetDomainName", s.getDomainName)
	h("PATCH /domainnames/{domain_name}", "UpdateDomainName", s.updateDomainName)
	h("DELETE /domainnames/{domain_name}", "DeleteDomainName", s.deleteDomainName)
	h("POST /domainnames/{domain_name}/basepathmappings", "CreateBasePathMapping", s.createBasePathMapping)
	h("GET /domainnames/{domain_name}/basepathmappings", "GetBasePathMappings", s.getBasePathMappings)
	h("GET /domainnames/{domain_name}/basepathmappings/{base_path}", "GetBasePathMapping", s.getBasePathMapping)
	h("PATCH /domainnames/{domain_name}/basepathmappings/{base_path}", "UpdateBasePathMapping", s.updateBasePathMapping)
	h("DELETE /domainnames/{domain_name}/basepathmappings/{base_path}", "DeleteBasePathMapping", s.deleteBasePathMapping)
	h("POST /v2/domainnames", "CreateDomainNameV2", s.createV2DomainName)
	h("GET /v2/domainnames", "GetDomainNamesV2", s.getV2DomainNames)
	h("GET /v2/domainnames/{domain_name}", "GetDomainNameV2", s.getV2DomainName)
	h("PATCH /v2/domainnames/{domain_name}", "UpdateDomainNameV2", s.updateV2DomainName)
	h("DELETE /v2/domainnames/{domain_name}", "DeleteDomainNameV2", s.deleteDomainName)
	h("POST /v2/domainnames/{domain_name}/apimappings", "CreateApiMapping", s.createAPIMapping)
	h("GET /v2/domainnames/{domain_name}/apimappings", "GetApiMappings", s.getAPIMappings)
	h("GET /v2/domainnames/{domain_name}/apimappings/{mapping_id}", "GetApiMapping", s.getAPIMapping)
	h("PATCH /v2/domainnames/{domain_name}/apimappings/{mapping_id}", "UpdateApiMapping", s.updateAPIMapping)
	h("DELETE /v2/domainnames/{domain_name}/apimappings/{mapping_id}", "DeleteApiMapping", s.deleteAPIMapping)
	h("POST /v2/apis", "CreateApi", s.createV2API)
	h("GET /v2/apis", "GetApis", s.getV2APIs)
	h("GET /v2/apis/{api_id}", "GetApi", s.getV2API)
	h("DELETE /v2/apis/{api_id}", "DeleteApi", s.deleteV2API)
	h("POST /v2/apis/{api_id}/integrations", "CreateIntegration", s.createV2Integration)
	h("GET /v2/apis/{api_id}/integrations", "GetIntegrations", s.getV2Integrations)
	h("POST /v2/apis/{api_id}/routes", "CreateRoute", s.createV2Route)
	h("GET /v2/apis/{api_id}/routes", "GetRoutes", s.getV2Routes)
	h("POST /v2/apis/{api_id}/stages", "CreateStageV2", s.createV2Stage)
	h("GET /v2/apis/{api_id}/stages", "GetStagesV2", s.getV2Stages)
	h("GET /v2/apis/{api_id}/stages/{stage_name}", "GetStageV2", s.getV2Stage)
	h("POST /v2/apis/{api_id}/deployments", "CreateDeploymentV2", s.createV2Deployment)
	h("GET /v2/apis/{api_id}/deployments", "GetDeploymentsV2", s.getV2Deployments)
	h("GET /v2/apis/{api_id}/routes/{route_id}", "GetRoute", s.getV2Route)
	h("PATCH /v2/apis/{api_id}/routes/{route_id}", "UpdateRoute", s.updateV2Route)
	h("DELETE /v2/apis/{api_id}/routes/{route_id}", "DeleteRoute", s.deleteV2Route)
	h("POST /v2/apis/{api_id}/routes/{route_id}/routeresponses", "CreateRouteResponse", s.createV2RouteResponse)
	h("GET /v2/apis/{api_id}/routes/{route_id}/routeresponses", "GetRouteResponses", s.getV2RouteResponses)
	h("GET /v2/apis/{api_id}/routes/{route_id}/routeresponses/{route_response_id}", "GetRouteResponse", s.getV2RouteResponse)
	h("PATCH /v2/apis/{api_id}/routes/{route_id}/routeresponses/{route_response_id}", "UpdateRouteResponse", s.updateV2RouteResponse)
	h("DELETE /v2/apis/{api_id}/routes/{route_id}/routeresponses/{route_response_id}", "DeleteRouteResponse", s.deleteV2RouteResponse)
	h("GET /v2/apis/{api_id}/integrations/{integration_id}", "GetIntegrationV2", s.getV2Integration)
	h("PATCH /v2/apis/{api_id}/integrations/{integration_id}", "UpdateIntegrationV2", s.updateV2Integration)
	h("DELETE /v2/apis/{api_id}/integrations/{integration_id}", "DeleteIntegrationV2", s.deleteV2Integration)
	h("POST /v2/apis/{api_id}/integrations/{integration_id}/integrationresponses", "CreateIntegrationResponseV2", s.createV2IntegrationResponse)
	h("GET /v2/apis/{api_id}/integrations/{integration_id}/integrationresponses", "GetIntegrationResponsesV2", s.getV2IntegrationResponses)
	h("GET /v2/apis/{api_id}/integrations/{integration_id}/integrationresponses/{integration_response_id}", "GetIntegrationResponseV2", s.getV2IntegrationResponse)
	h("PATCH /v2/apis/{api_id}/integrations/{integration_id}/integrationresponses/{integration_response_id}", "UpdateIntegrationResponseV2", s.updateV2IntegrationResponse)
	h("DELETE /v2/apis/{api_id}/integrations/{integration_id}/integrationresponses/{integration_response_id}", "DeleteIntegrationResponseV2", s.deleteV2IntegrationResponse)
	h("PATCH /v2/apis/{api_id}/stages/{stage_name}", "UpdateStageV2", s.updateV2Stage)
	h("DELETE /v2/apis/{api_id}/stages/{stage_name}", "DeleteStageV2", s.deleteV2Stage)
	h("DELETE /v2/apis/{api_id}/stages/{stage_name}/routesettings/{route_key}", "DeleteRouteSettings", s.deleteRouteSettings)
	h("GET /v2/apis/{api_id}/deployments/{deployment_id}", "GetDeploymentV2", s.getV2Deployment)
	h("DELETE /v2/apis/{api_id}/deployments/{deployment_id}", "DeleteDeploymentV2", s.deleteV2Deployment)
	h("POST /v2/apis/{api_id}/authorizers", "CreateAuthorizerV2", s.createV2Authorizer)
	h("GET /v2/apis/{api_id}/authorizers", "GetAuthorizersV2", s.getV2Authorizers)
	h("GET /v2/apis/{api_id}/authorizers/{authorizer_id}", "GetAuthorizerV2", s.getV2Authorizer)
	h("PATCH /v2/apis/{api_id}/authorizers/{authorizer_id}", "UpdateAuthorizerV2", s.updateV2Authorizer)
	h("DELETE /v2/apis/{api_id}/authorizers/{authorizer_id}", "DeleteAuthorizerV2", s.deleteV2Authorizer)
	h("POST /v2/apis/{api_id}/models", "CreateModelV2", s.createV2Model)
	h("GET /v2/apis/{api_id}/models", "GetModelsV2", s.getV2Models)
	h("GET /v2/apis/{api_id}/models/{model_id}", "GetModelV2", s.getV2Model)
	h("PATCH /v2/apis/{api_id}/models/{model_id}", "UpdateModelV2", s.updateV2Model)
	h("DELETE /v2/apis/{api_id}/models/{model_id}", "DeleteModelV2", s.deleteV2Model)
	h("PUT /v2/apis", "ImportApi", s.importV2API)
	h("PUT /v2/apis/{api_id}", "ReimportApi", s.reimportV2API)
	h("GET /v2/apis/{api_id}/exports/{specification}", "ExportApi", s.exportV2API)
	h("GET /portico/info", "PorticoInfo", s.info)
	h("GET /portico/connections", "GetConnectionCount", s.connectionCount)
	h("GET /portico/backends", "GetBackends", s.backends)
	h("POST /@connections/{connection_id}", "PostToConnection", s.manageConnection)
	h("GET /@connections/{connection_id}", "GetConnection", s.manageConnection)
	h("DELETE /@connections/{connection_id}", "DeleteConnection", s.manageConnection)
	mux.Handle("POST /{$}", s.handleAs("WAFv2", func(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
		if !isWAFRequest(r) {
			return 0, nil, &apiError{http.StatusNotFound, "UnknownOperationException", "Unknown operation"}
		}
		return s.wafv2(ctx, st, r, body)
	}, writeJSON11Error))
	mux.Handle("/", s.handle("Unknown", func(context.Context, *store, *http.Request, []byte) (int, any, error) {
		return 0, nil, &apiError{http.StatusNotFound, "UnknownOperationException", "Unknown operation"}
	}))
	return mux
}

type metrics struct {
	requests *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "portico_admin_requests_total",
			Help: "Control-plane requests by operation and HTTP status.",
		}, []string{"operation", "status"}),
	}
	if reg == nil {
		return m, nil
	}
	if err := reg.Register(m.requests); err != nil {
		var are prometheus.AlreadyRegisteredError
		if !errors.As(err, &are) {
			return nil, fmt.Errorf("admin metrics: %w", err)
		}
		existing, ok := are.ExistingCollector.(*prometheus.CounterVec)
		if !ok {
			return nil, fmt.Errorf("admin metrics: %w", err)
		}
		m.requests = existing
	}
	return m, nil
}
