package admin

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

// apigatewayv2 (HTTP and WebSocket APIs). An API is stored like a REST API, at
// wire.KeyRestAPI, as a model.RestAPI with Protocol HTTP or WEBSOCKET and Routes whose
// integrations are inline, so that a deployment snapshot is self-contained for the edges. The
// standalone integrations that routes target ("integrations/{id}") and each route's target
// are admin's own bookkeeping, stored next to the model fields (edges ignore them).

const (
	maxRoutes       = 300
	maxIntegrations = 300
	maxRouteKeyLen  = 512
	defaultHTTPRSE  = "$request.method $request.path"
)

type v2Integration struct {
	ID          string `json:"integrationId"`
	Description string `json:"description,omitempty"`
	model.Integration
}

// storedAPI is what admin reads and writes at wire.KeyRestAPI for a v2 API.
type storedAPI struct {
	model.RestAPI
	V2Integrations []v2Integration   `json:"v2Integrations,omitempty"`
	V2RouteTargets map[string]string `json:"v2RouteTargets,omitempty"` // route id -> integration id
	// Route and integration responses, by route and integration id.
	V2RouteResponses       map[string][]v2RouteResponse       `json:"v2RouteResponses,omitempty"`
	V2IntegrationResponses map[string][]v2IntegrationResponse `json:"v2IntegrationResponses,omitempty"`
}

func loadV2API(ctx context.Context, st *store, id string) (*storedAPI, uint64, error) {
	a, rev, err := read[storedAPI](ctx, st, restAPIKey(id), errNoAPI(id))
	if err == nil && a.Protocol == "" {
		return nil, 0, errNoAPI(id)
	}
	return a, rev, err
}

type v2APIView struct {
	APIID                     string            `json:"apiId"`
	Name                      string            `json:"name"`
	Description               string            `json:"description,omitempty"`
	ProtocolType              string            `json:"protocolType"`
	RouteSelectionExpression  string            `json:"routeSelectionExpression"`
	APIKeySelectionExpression string            `json:"apiKeySelectionExpression"`
	APIEndpoint               string            `json:"apiEndpoint,omitempty"`
	CreatedDate               time.Time         `json:"createdDate"`
	Version                   string            `json:"version,omitempty"`
	Tags                      map[string]string `json:"tags,omitempty"`
	DisableExecuteAPIEndpoint bool              `json:"disableExecuteApiEndpoint"`
}

func (s *Service) viewV2API(a *storedAPI) v2APIView {
	v := v2APIView{
		APIID: a.ID, Name: a.Name, Description: a.Description, ProtocolType: a.Protocol,
		RouteSelectionExpression: a.RouteSelectionExpression, APIKeySelectionExpression: "$request.header.x-api-key",
		CreatedDate: a.CreatedDate, Version: a.Version, Tags: a.Tags,
	}
	if s.cfg.EdgeURL != "" {
		v.APIEndpoint = strings.TrimRight(s.cfg.EdgeURL, "/") + "/restapis/" + a.ID
	}
	return v
}

func (s *Service) createV2API(ctx context.Context, st *store, _ *http.Request, body []byte) (int, any, error) {
	var in struct {
		Name                     string            `json:"name"`
		Description              string            `json:"description"`
		ProtocolType             string            `json:"protocolType"`
		RouteSelectionExpression string            `json:"routeSelectionExpression"`
		Version                  string            `json:"version"`
		Tags                     map[string]string `json:"tags"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	if in.Name == "" || len(in.Name) > 128 {
		return 0, nil, badRequest("name is required (at most 128 characters)")
	}
	if len(in.Description) > 1024 {
		return 0, nil, badRequest("description is longer than 1024 characters")
	}
	switch in.ProtocolType {
	case model.ProtocolHTTP:
		if in.RouteSelectionExpression == "" {
			in.RouteSelectionExpression = defaultHTTPRSE
		}
		if in.RouteSelectionExpression != defaultHTTPRSE {
			return 0, nil, badRequest("An HTTP API's routeSelectionExpression must be %s", defaultHTTPRSE)
		}
	case model.ProtocolWebSocket:
		rse := in.RouteSelectionExpression
		if !strings.HasPrefix(rse, "$request.body.") && !strings.HasPrefix(rse, "${request.body.") {
			return 0, nil, badRequest("A WEBSOCKET API needs a routeSelectionExpression like $request.body.action")
		}
	default:
		return 0, nil, badRequest("protocolType must be HTTP or WEBSOCKET")
	}
	a := storedAPI{RestAPI: model.RestAPI{
		ID: newID(), Name: in.Name, Description: in.Description, Protocol: in.ProtocolType,
		RouteSelectionExpression: in.RouteSelectionExpression, Version: in.Version, Tags: in.Tags,
		CreatedDate: time.Now().UTC(),
	}}
	if _, err := st.create(ctx, wire.KeyRestAPI(a.ID), &a); err != nil {
		return 0, nil, storeErr(err, "API")
	}
	return http.StatusCreated, s.viewV2API(&a), nil
}

func (s *Service) getV2APIs(ctx context.Context, st *store, _ *http.Request, _ []byte) (int, any, error) {
	apis, err := readAll[storedAPI](ctx, st, wire.KeyRestAPIsPrefix+"*")
	if err != nil {
		return 0, nil, err
	}
	out := v2Items[v2APIView]{Items: []v2APIView{}}
	for i := range apis {
		if apis[i].Protocol != "" {
			out.Items = append(out.Items, s.viewV2API(&apis[i]))
		}
	}
	return http.StatusOK, out, nil
}

// v2Items is apigatewayv2's list shape.
type v2Items[T any] struct {
	Items []T `json:"items"`
}

func (s *Service) getV2API(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, s.viewV2API(a), nil
}

func (s *Service) deleteV2API(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	if _, _, err := loadV2API(ctx, st, r.PathValue("api_id")); err != nil {
		return 0, nil, err
	}
	r.SetPathValue("restapi_id", r.PathValue("api_id"))
	if _, _, err := s.deleteRestAPI(ctx, st, r, body); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

type v2IntegrationView struct {
	IntegrationID        string            `json:"integrationId"`
	IntegrationType      string            `json:"integrationType"`
	IntegrationURI       string            `json:"integrationUri,omitempty"`
	IntegrationMethod    string            `json:"integrationMethod,omitempty"`
	ConnectionType       string            `json:"connectionType,omitempty"`
	Description          string            `json:"description,omitempty"`
	PayloadFormatVersion string            `json:"payloadFormatVersion,omitempty"`
	TimeoutInMillis      int               `json:"timeoutInMillis,omitempty"`
	RequestParameters    map[string]string `json:"requestParameters,omitempty"`
	RequestTemplates     map[string]string `json:"requestTemplates,omitempty"`
	PassthroughBehavior  string            `json:"passthroughBehavior,omitempty"`
}

func viewV2Integration(in *v2Integration) v2IntegrationView {
	return v2IntegrationView{
		IntegrationID: in.ID, IntegrationType: in.Type, IntegrationURI: in.URI, IntegrationMethod: in.HTTPMethod,
		ConnectionType: in.ConnectionType, Description: in.Description, PayloadFormatVersion: in.PayloadFormatVersion,
		TimeoutInMillis: in.TimeoutInMillis, RequestParameters: in.RequestParameters, RequestTemplates: in.RequestTemplates,
		PassthroughBehavior: in.PassthroughBehavior,
	}
}

var v2IntegrationTypes = map[string]bool{
	model.IntegrationNATSProxy: true, model.IntegrationNATS: true, model.IntegrationHTTPProxy: true,
	model.IntegrationHTTP: true, model.IntegrationMock: true, model.IntegrationAWSProxy: true, model.IntegrationAWS: true,
}

// mutateV2 applies fn to an API and writes it back with a revision check.
func mutateV2(ctx context.Context, st *store, id string, fn func(*storedAPI) error) (*storedAPI, error) {
	a, err := update(ctx, st, restAPIKey(id), "API", errNoAPI(id), func(a *storedAPI) error {
		if a.Protocol == "" {
			return errNoAPI(id)
		}
		if err := fn(a); err != nil {
			return err
		}
		relinkRoutes(a)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := autoDeploy(ctx, st, a); err != nil {
		return nil, err
	}
	return a, nil
}

func (s *Service) createV2Integration(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		IntegrationType      string            `json:"integrationType"`
		IntegrationURI       string            `json:"integrationUri"`
		IntegrationMethod    string            `json:"integrationMethod"`
		ConnectionType       string            `json:"connectionType"`
		Description          string            `json:"description"`
		PayloadFormatVersion string            `json:"payloadFormatVersion"`
		TimeoutInMillis      int               `json:"timeoutInMillis"`
		RequestParameters    map[string]string `json:"requestParameters"`
		RequestTemplates     map[string]string `json:"requestTemplates"`
		PassthroughBehavior  string            `json:"passthroughBehavior"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	typ := strings.ToUpper(in.IntegrationType)
	if !v2IntegrationTypes[typ] {
		return 0, nil, badRequest("Invalid integrationType %q", in.IntegrationType)
	}
	if typ != model.IntegrationMock && in.IntegrationURI == "" {
		return 0, nil, badRequest("integrationUri is required for %s", typ)
	}
	if in.TimeoutInMillis != 0 && (in.TimeoutInMillis < 50 || in.TimeoutInMillis > 30000) {
		return 0, nil, badRequest("timeoutInMillis must be between 50 and 30000")
	}
	if in.TimeoutInMillis == 0 {
		in.TimeoutInMillis = 30000
	}
	integ := v2Integration{ID: newID(), Description: in.Description, Integration: model.Integration{
		Type: typ, URI: in.IntegrationURI, HTTPMethod: strings.ToUpper(in.IntegrationMethod), ConnectionType: in.ConnectionType,
		PayloadFormatVersion: in.PayloadFormatVersion, TimeoutInMillis: in.TimeoutInMillis,
		RequestParameters: in.RequestParameters, RequestTemplates: in.RequestTemplates, PassthroughBehavior: in.PassthroughBehavior,
	}}
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		if a.Protocol == model.ProtocolHTTP && integ.PayloadFormatVersion == "" && (typ == model.IntegrationAWSProxy || typ == model.IntegrationNATSProxy) {
			integ.PayloadFormatVersion = "2.0"
		}
		if len(a.V2Integrations) >= maxIntegrations {
			return badRequest("too many integrations: at most %d", maxIntegrations)
		}
		a.V2Integrations = append(a.V2Integrations, integ)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewV2Integration(&integ), nil
}

func (s *Service) getV2Integrations(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	out := v2Items[v2IntegrationView]{Items: []v2IntegrationView{}}
	for i := range a.V2Integrations {
		out.Items = append(out.Items, viewV2Integration(&a.V2Integrations[i]))
	}
	return http.StatusOK, out, nil
}

type v2RouteView struct {
	RouteID           string `json:"routeId"`
	RouteKey          string `json:"routeKey"`
	Target            string `json:"target,omitempty"`
	AuthorizationType string `json:"authorizationType"`
	AuthorizerID      string `json:"authorizerId,omitempty"`
	APIKeyRequired    bool   `json:"apiKeyRequired"`
	RouteResponseSel  string `json:"routeResponseSelectionExpression,omitempty"`
}

func viewRoute(a *storedAPI, r *model.Route) v2RouteView {
	v := v2RouteView{RouteID: r.ID, RouteKey: r.RouteKey, AuthorizationType: r.AuthorizationType, AuthorizerID: r.AuthorizerID,
		APIKeyRequired: r.APIKeyRequired, RouteResponseSel: r.RouteResponseSelectionExpression}
	if id := a.V2RouteTargets[r.ID]; id != "" {
		v.Target = "integrations/" + id
	}
	if v.AuthorizationType == "" {
		v.AuthorizationType = model.AuthNone
	}
	return v
}

var httpRouteMethods = map[string]bool{"ANY": true, "GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true, "OPTIONS": true}

func validRouteKey(protocol, key string) bool {
	if key == "" || len(key) > maxRouteKeyLen {
		return false
	}
	if key == "$default" {
		return true
	}
	if protocol == model.ProtocolWebSocket {
		return !strings.ContainsAny(key, " \t\n")
	}
	method, path, ok := strings.Cut(key, " ")
	return ok && httpRouteMethods[method] && strings.HasPrefix(path, "/") && !strings.ContainsAny(path, " \t\n")
}

func (s *Service) createV2Route(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		RouteKey          string `json:"routeKey"`
		Target            string `json:"target"`
		AuthorizationType string `json:"authorizationType"`
		AuthorizerID      string `json:"authorizerId"`
		APIKeyRequired    bool   `json:"apiKeyRequired"`
		RouteResponseSel  string `json:"routeResponseSelectionExpression"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	route := model.Route{ID: newID(), RouteKey: in.RouteKey, AuthorizationType: in.AuthorizationType, AuthorizerID: in.AuthorizerID,
		APIKeyRequired: in.APIKeyRequired, RouteResponseSelectionExpression: in.RouteResponseSel}
	var view v2RouteView
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		if !validRouteKey(a.Protocol, in.RouteKey) {
			return badRequest("Invalid routeKey %q", in.RouteKey)
		}
		if len(a.Routes) >= maxRoutes {
			return badRequest("too many routes: at most %d", maxRoutes)
		}
		if err := checkRouteAuthorizer(a, &route); err != nil {
			return err
		}
		for _, existing := range a.Routes {
			if existing.RouteKey == in.RouteKey {
				return conflict("Route with key %s already exists for this API", in.RouteKey)
			}
		}
		if in.Target != "" {
			id, ok := strings.CutPrefix(in.Target, "integrations/")
			found := false
			for i := range a.V2Integrations {
				if ok && a.V2Integrations[i].ID == id {
					integ := a.V2Integrations[i].Integration
					route.Integration = &integ
					found = true
				}
			}
			if !found {
				return badRequest("Invalid target %q: want integrations/{integrationId} of this API", in.Target)
			}
			if a.V2RouteTargets == nil {
				a.V2RouteTargets = map[string]string{}
			}
			a.V2RouteTargets[route.ID] = id
		}
		a.Routes = append(a.Routes, route)
		view = viewRoute(a, &route)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, view, nil
}

func (s *Service) getV2Routes(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	out := v2Items[v2RouteView]{Items: []v2RouteView{}}
	for i := range a.Routes {
		out.Items = append(out.Items, viewRoute(a, &a.Routes[i]))
	}
	return http.StatusOK, out, nil
}

type v2RouteSettings struct {
	ThrottlingBurstLimit int64   `json:"throttlingBurstLimit,omitempty"`
	ThrottlingRateLimit  float64 `json:"throttlingRateLimit,omitempty"`
	DetailedMetrics      bool    `json:"detailedMetricsEnabled,omitempty"`
	LoggingLevel         string  `json:"loggingLevel,omitempty"`
}

type v2StageView struct {
	StageName            string                     `json:"stageName"`
	DeploymentID         string                     `json:"deploymentId,omitempty"`
	Description          string                     `json:"description,omitempty"`
	StageVariables       map[string]string          `json:"stageVariables,omitempty"`
	DefaultRouteSettings v2RouteSettings            `json:"defaultRouteSettings"`
	RouteSettings        map[string]v2RouteSettings `json:"routeSettings,omitempty"`
	AutoDeploy           bool                       `json:"autoDeploy"`
	CreatedDate          time.Time                  `json:"createdDate"`
	LastUpdatedDate      time.Time                  `json:"lastUpdatedDate"`
	AccessLogSettings    *model.AccessLogSettings   `json:"accessLogSettings,omitempty"`
}

func viewV2Stage(sg *model.Stage) v2StageView {
	v := v2StageView{StageName: sg.StageName, DeploymentID: sg.DeploymentID, Description: sg.Description,
		StageVariables: sg.Variables, AutoDeploy: sg.AutoDeploy, CreatedDate: sg.CreatedDate, LastUpdatedDate: sg.LastUpdatedDate,
		RouteSettings: routeSettingsView(sg), AccessLogSettings: sg.AccessLogSettings}
	if ms, ok := sg.MethodSettings[model.StageDefaults]; ok {
		v.DefaultRouteSettings = v2RouteSettings{ThrottlingBurstLimit: ms.ThrottlingBurstLimit, ThrottlingRateLimit: ms.ThrottlingRateLimit,
			DetailedMetrics: ms.MetricsEnabled, LoggingLevel: ms.LoggingLevel}
	}
	return v
}

func (s *Service) createV2Stage(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		StageName            string                     `json:"stageName"`
		DeploymentID         string                     `json:"deploymentId"`
		Description          string                     `json:"description"`
		StageVariables       map[string]string          `json:"stageVariables"`
		DefaultRouteSettings *v2RouteSettings           `json:"defaultRouteSettings"`
		RouteSettings        map[string]v2RouteSettings `json:"routeSettings"`
		AutoDeploy           bool                       `json:"autoDeploy"`
		AccessLogSettings    *model.AccessLogSettings   `json:"accessLogSettings"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	if err := checkAccessLog(in.AccessLogSettings); err != nil {
		return 0, nil, err
	}
	if !validV2StageName(in.StageName) {
		return 0, nil, badRequest("Stage name only allows a-zA-Z0-9_- or $default (at most %d characters)", maxStageNameLen)
	}
	if err := checkVariables(in.StageVariables); err != nil {
		return 0, nil, err
	}
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	if in.DeploymentID != "" {
		if err := deploymentExists(ctx, st, a.ID, in.DeploymentID); err != nil {
			return 0, nil, err
		}
	}
	now := time.Now().UTC()
	sg := model.Stage{APIID: a.ID, StageName: in.StageName, DeploymentID: in.DeploymentID, Description: in.Description,
		Variables: in.StageVariables, AutoDeploy: in.AutoDeploy, CreatedDate: now, LastUpdatedDate: now,
		AccessLogSettings: in.AccessLogSettings}
	if in.AutoDeploy && in.DeploymentID == "" && len(a.Routes) > 0 {
		// An auto-deploy stage starts on a deployment of the API as it is now.
		d := model.Deployment{ID: newID(), APIID: a.ID, Description: "Automatic deployment", CreatedDate: now, API: a.RestAPI, AutoDeployed: true}
		if _, err := st.create(ctx, wire.KeyDeployment(a.ID, d.ID), &d); err != nil {
			return 0, nil, storeErr(err, "deployment")
		}
		sg.DeploymentID = d.ID
	}
	if rs := in.DefaultRouteSettings; rs != nil {
		if rs.ThrottlingRateLimit < 0 || rs.ThrottlingBurstLimit < 0 {
			return 0, nil, badRequest("throttling limits must not be negative")
		}
		sg.MethodSettings = map[string]model.MethodSetting{model.StageDefaults: {
			ThrottlingRateLimit: rs.ThrottlingRateLimit, ThrottlingBurstLimit: rs.ThrottlingBurstLimit,
			MetricsEnabled: rs.DetailedMetrics, LoggingLevel: rs.LoggingLevel,
		}}
	}
	if err := applyRouteSettings(&sg, in.RouteSettings); err != nil {
		return 0, nil, err
	}
	if _, err := st.create(ctx, wire.KeyStage(a.ID, sg.StageName), &sg); err != nil {
		if errors.Is(err, errConflict) {
			return 0, nil, conflict("Stage already exists")
		}
		return 0, nil, err
	}
	return http.StatusCreated, viewV2Stage(&sg), nil
}

func (s *Service) getV2Stages(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	stages, err := readAll[model.Stage](ctx, st, wire.KeyStagesPrefix+a.ID+".*")
	if err != nil {
		return 0, nil, err
	}
	out := v2Items[v2StageView]{Items: []v2StageView{}}
	for i := range stages {
		out.Items = append(out.Items, viewV2Stage(&stages[i]))
	}
	return http.StatusOK, out, nil
}

func (s *Service) getV2Stage(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	if _, _, err := loadV2API(ctx, st, r.PathValue("api_id")); err != nil {
		return 0, nil, err
	}
	sg, _, err := loadStage(ctx, st, r.PathValue("api_id"), r.PathValue("stage_name"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewV2Stage(sg), nil
}

type v2DeploymentView struct {
	DeploymentID     string    `json:"deploymentId"`
	DeploymentStatus string    `json:"deploymentStatus"`
	Description      string    `json:"description,omitempty"`
	CreatedDate      time.Time `json:"createdDate"`
	AutoDeployed     bool      `json:"autoDeployed"`
}

// createV2Deployment snapshots the API; with stageName the (existing) stage then points at
// the snapshot, written last.
func (s *Service) createV2Deployment(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		StageName   string `json:"stageName"`
		Description string `json:"description"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	if len(a.Routes) == 0 {
		return 0, nil, badRequest("The API has no routes to deploy")
	}
	var sg *model.Stage
	var rev uint64
	if in.StageName != "" {
		if sg, rev, err = loadStage(ctx, st, a.ID, in.StageName); err != nil {
			return 0, nil, err
		}
	}
	now := time.Now().UTC()
	d := model.Deployment{ID: newID(), APIID: a.ID, Description: in.Description, CreatedDate: now, API: a.RestAPI}
	if _, err := st.create(ctx, wire.KeyDeployment(a.ID, d.ID), &d); err != nil {
		return 0, nil, storeErr(err, "deployment")
	}
	if sg != nil {
		sg.DeploymentID, sg.LastUpdatedDate = d.ID, now
		if _, err := st.update(ctx, wire.KeyStage(a.ID, sg.StageName), sg, rev); err != nil {
			return 0, nil, storeErr(err, "stage")
		}
	}
	return http.StatusCreated, v2DeploymentView{DeploymentID: d.ID, DeploymentStatus: "DEPLOYED", Description: d.Description, CreatedDate: now}, nil
}

func (s *Service) getV2Deployments(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	ds, err := readAll[model.Deployment](ctx, st, wire.KeyDeploymentsPrefix+a.ID+".*")
	if err != nil {
		return 0, nil, err
	}
	out := v2Items[v2DeploymentView]{Items: []v2DeploymentView{}}
	for _, d := range ds {
		out.Items = append(out.Items, v2DeploymentView{DeploymentID: d.ID, DeploymentStatus: "DEPLOYED", Description: d.Description, CreatedDate: d.CreatedDate})
	}
	return http.StatusOK, out, nil
}
