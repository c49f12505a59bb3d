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

// apigatewayv2 get/update/delete of routes, integrations, stages and deployments, route and
// integration responses, and auto-deploy. v2 updates are JSON bodies of the fields to change
// (not patch operations).

const maxV2Responses = 50

// v2RouteResponse and v2IntegrationResponse are admin's bookkeeping, stored next to the API.
type v2RouteResponse struct {
	ID                       string            `json:"routeResponseId"`
	Key                      string            `json:"routeResponseKey"`
	ModelSelectionExpression string            `json:"modelSelectionExpression,omitempty"`
	ResponseModels           map[string]string `json:"responseModels,omitempty"`
}

type v2IntegrationResponse struct {
	ID                          string            `json:"integrationResponseId"`
	Key                         string            `json:"integrationResponseKey"`
	ContentHandlingStrategy     string            `json:"contentHandlingStrategy,omitempty"`
	ResponseParameters          map[string]string `json:"responseParameters,omitempty"`
	ResponseTemplates           map[string]string `json:"responseTemplates,omitempty"`
	TemplateSelectionExpression string            `json:"templateSelectionExpression,omitempty"`
}

func (rr v2RouteResponse) responseID() string        { return rr.ID }
func (rr v2RouteResponse) responseKey() string       { return rr.Key }
func (ir v2IntegrationResponse) responseID() string  { return ir.ID }
func (ir v2IntegrationResponse) responseKey() string { return ir.Key }

// v2Response is a route or an integration response, kept in a list per route or integration.
type v2Response interface {
	responseID() string
	responseKey() string
}

// addV2Response appends item to the responses of parent in m unless parent has
// maxV2Responses already or one with item's key; what names the kind in errors.
func addV2Response[T v2Response](m *map[string][]T, parent string, item T, what string) error {
	list := (*m)[parent]
	if len(list) >= maxV2Responses {
		return badRequest("too many %ss: at most %d", what, maxV2Responses)
	}
	for _, x := range list {
		if x.responseKey() == item.responseKey() {
			return conflict("%s with key %s already exists", strings.ToUpper(what[:1])+what[1:], item.responseKey())
		}
	}
	if *m == nil {
		*m = map[string][]T{}
	}
	(*m)[parent] = append(list, item)
	return nil
}

// v2ResponseIndex is the index of the response with id in list, or -1.
func v2ResponseIndex[T v2Response](list []T, id string) int {
	for i, x := range list {
		if x.responseID() == id {
			return i
		}
	}
	return -1
}

// relinkRoutes refreshes each route's inline integration from the integration it targets, so
// a deployment snapshot always carries the current integration.
func relinkRoutes(a *storedAPI) {
	byID := make(map[string]*v2Integration, len(a.V2Integrations))
	for i := range a.V2Integrations {
		byID[a.V2Integrations[i].ID] = &a.V2Integrations[i]
	}
	for i := range a.Routes {
		rt := &a.Routes[i]
		rt.RouteResponses = rt.RouteResponses[:0]
		for _, rr := range a.V2RouteResponses[rt.ID] {
			rt.RouteResponses = append(rt.RouteResponses, model.RouteResponse{ID: rr.ID, RouteResponseKey: rr.Key})
		}
		if len(rt.RouteResponses) == 0 {
			rt.RouteResponses = nil
		}
		in, ok := byID[a.V2RouteTargets[rt.ID]]
		if !ok {
			rt.Integration = nil
			continue
		}
		integ := in.Integration
		rt.Integration = &integ
	}
}

// autoDeploy deploys the API to every stage that has autoDeploy set: the deployment is
// written first, each stage (the pointer edges follow) after it.
func autoDeploy(ctx context.Context, st *store, a *storedAPI) error {
	if len(a.Routes) == 0 {
		return nil
	}
	keys, err := st.keys(ctx, wire.KeyStagesPrefix+a.ID+".*")
	if err != nil {
		return err
	}
	var d *model.Deployment
	for _, k := range keys {
		var sg model.Stage
		rev, err := st.get(ctx, k, &sg)
		if errors.Is(err, errNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if !sg.AutoDeploy {
			continue
		}
		now := time.Now().UTC()
		if d == nil {
			d = &model.Deployment{ID: newID(), APIID: a.ID, Description: "Automatic deployment", CreatedDate: now, API: a.RestAPI, AutoDeployed: true}
			if _, err := st.create(ctx, wire.KeyDeployment(a.ID, d.ID), d); err != nil {
				return storeErr(err, "deployment")
			}
		}
		sg.DeploymentID, sg.LastUpdatedDate = d.ID, now
		if _, err := st.update(ctx, k, &sg, rev); err != nil {
			return storeErr(err, "stage")
		}
	}
	return nil
}

func findRoute(a *storedAPI, id string) (*model.Route, error) {
	for i := range a.Routes {
		if a.Routes[i].ID == id {
			return &a.Routes[i], nil
		}
	}
	return nil, notFound("Unable to find Route with id '%s'", id)
}

func findV2Integration(a *storedAPI, id string) (*v2Integration, error) {
	for i := range a.V2Integrations {
		if a.V2Integrations[i].ID == id {
			return &a.V2Integrations[i], nil
		}
	}
	return nil, notFound("Unable to find Integration with id '%s'", id)
}

func (s *Service) getV2Route(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	rt, err := findRoute(a, r.PathValue("route_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewRoute(a, rt), nil
}

// setTarget points a route at "integrations/{id}" (empty: no integration).
func setTarget(a *storedAPI, routeID, target string) error {
	if target == "" {
		delete(a.V2RouteTargets, routeID)
		return nil
	}
	id, ok := strings.CutPrefix(target, "integrations/")
	if !ok {
		return badRequest("Invalid target %q: want integrations/{integrationId} of this API", target)
	}
	if _, err := findV2Integration(a, id); err != nil {
		return badRequest("Invalid target %q: want integrations/{integrationId} of this API", target)
	}
	if a.V2RouteTargets == nil {
		a.V2RouteTargets = map[string]string{}
	}
	a.V2RouteTargets[routeID] = id
	return nil
}

func (s *Service) updateV2Route(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		RouteKey          *string `json:"routeKey"`
		Target            *string `json:"target"`
		AuthorizationType *string `json:"authorizationType"`
		AuthorizerID      *string `json:"authorizerId"`
		APIKeyRequired    *bool   `json:"apiKeyRequired"`
		RouteResponseSel  *string `json:"routeResponseSelectionExpression"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	var view v2RouteView
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		rt, err := findRoute(a, r.PathValue("route_id"))
		if err != nil {
			return err
		}
		if in.RouteKey != nil && *in.RouteKey != rt.RouteKey {
			if !validRouteKey(a.Protocol, *in.RouteKey) {
				return badRequest("Invalid routeKey %q", *in.RouteKey)
			}
			for _, other := range a.Routes {
				if other.RouteKey == *in.RouteKey {
					return conflict("Route with key %s already exists for this API", *in.RouteKey)
				}
			}
			rt.RouteKey = *in.RouteKey
		}
		if in.RouteResponseSel != nil {
			rt.RouteResponseSelectionExpression = *in.RouteResponseSel
		}
		if in.Target != nil {
			if err := setTarget(a, rt.ID, *in.Target); err != nil {
				return err
			}
		}
		if in.AuthorizationType != nil {
			rt.AuthorizationType = *in.AuthorizationType
		}
		if in.AuthorizerID != nil {
			rt.AuthorizerID = *in.AuthorizerID
		}
		if in.APIKeyRequired != nil {
			rt.APIKeyRequired = *in.APIKeyRequired
		}
		if err := checkRouteAuthorizer(a, rt); err != nil {
			return err
		}
		relinkRoutes(a)
		view = viewRoute(a, rt)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, view, nil
}

func (s *Service) deleteV2Route(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		rt, err := findRoute(a, r.PathValue("route_id"))
		if err != nil {
			return err
		}
		id := rt.ID
		kept := a.Routes[:0]
		for _, x := range a.Routes {
			if x.ID != id {
				kept = append(kept, x)
			}
		}
		a.Routes = kept
		delete(a.V2RouteTargets, id)
		delete(a.V2RouteResponses, id)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func (s *Service) getV2Integration(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	in, err := findV2Integration(a, r.PathValue("integration_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewV2Integration(in), nil
}

func (s *Service) updateV2Integration(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		IntegrationType      *string           `json:"integrationType"`
		IntegrationURI       *string           `json:"integrationUri"`
		IntegrationMethod    *string           `json:"integrationMethod"`
		ConnectionType       *string           `json:"connectionType"`
		Description          *string           `json:"description"`
		PayloadFormatVersion *string           `json:"payloadFormatVersion"`
		TimeoutInMillis      *int              `json:"timeoutInMillis"`
		RequestParameters    map[string]string `json:"requestParameters"`
		RequestTemplates     map[string]string `json:"requestTemplates"`
		PassthroughBehavior  *string           `json:"passthroughBehavior"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	var view v2IntegrationView
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		integ, err := findV2Integration(a, r.PathValue("integration_id"))
		if err != nil {
			return err
		}
		set := func(dst *string, v *string) {
			if v != nil {
				*dst = *v
			}
		}
		set(&integ.Type, in.IntegrationType)
		integ.Type = strings.ToUpper(integ.Type)
		set(&integ.URI, in.IntegrationURI)
		set(&integ.HTTPMethod, in.IntegrationMethod)
		integ.HTTPMethod = strings.ToUpper(integ.HTTPMethod)
		set(&integ.ConnectionType, in.ConnectionType)
		set(&integ.Description, in.Description)
		set(&integ.PayloadFormatVersion, in.PayloadFormatVersion)
		set(&integ.PassthroughBehavior, in.PassthroughBehavior)
		if in.TimeoutInMillis != nil {
			integ.TimeoutInMillis = *in.TimeoutInMillis
		}
		if in.RequestParameters != nil {
			integ.RequestParameters = in.RequestParameters
		}
		if in.RequestTemplates != nil {
			integ.RequestTemplates = in.RequestTemplates
		}
		if !v2IntegrationTypes[integ.Type] {
			return badRequest("Invalid integrationType %q", integ.Type)
		}
		if integ.Type != model.IntegrationMock && integ.URI == "" {
			return badRequest("integrationUri is required for %s", integ.Type)
		}
		if integ.TimeoutInMillis < 50 || integ.TimeoutInMillis > 30000 {
			return badRequest("timeoutInMillis must be between 50 and 30000")
		}
		if len(integ.RequestParameters) > maxParamEntries || len(integ.RequestTemplates) > maxParamEntries {
			return badRequest("too many request parameters or templates: at most %d", maxParamEntries)
		}
		view = viewV2Integration(integ)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, view, nil
}

func (s *Service) deleteV2Integration(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		integ, err := findV2Integration(a, r.PathValue("integration_id"))
		if err != nil {
			return err
		}
		id := integ.ID
		for routeID, target := range a.V2RouteTargets {
			if target == id {
				return badRequest("Integration %s is the target of route %s: update or delete the route first", id, routeID)
			}
		}
		kept := a.V2Integrations[:0]
		for _, x := range a.V2Integrations {
			if x.ID != id {
				kept = append(kept, x)
			}
		}
		a.V2Integrations = kept
		delete(a.V2IntegrationResponses, id)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// updateV2Stage changes the given fields; stageVariables merge (an empty value removes one).
func (s *Service) updateV2Stage(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		DeploymentID         *string                    `json:"deploymentId"`
		Description          *string                    `json:"description"`
		StageVariables       map[string]string          `json:"stageVariables"`
		AutoDeploy           *bool                      `json:"autoDeploy"`
		DefaultRouteSettings *v2RouteSettings           `json:"defaultRouteSettings"`
		RouteSettings        map[string]v2RouteSettings `json:"routeSettings"`
		AccessLogSettings    *model.AccessLogSettings   `json:"accessLogSettings"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	if err := checkAccessLog(in.AccessLogSettings); err != nil {
		return 0, nil, err
	}
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	sg, err := mutateStage(ctx, st, a.ID, r.PathValue("stage_name"), func(sg *model.Stage) error {
		if in.AccessLogSettings != nil {
			sg.AccessLogSettings = in.AccessLogSettings
		}
		if in.DeploymentID != nil {
			if sg.AutoDeploy && (in.AutoDeploy == nil || *in.AutoDeploy) {
				return badRequest("Cannot set a deploymentId on a stage with autoDeploy enabled")
			}
			if err := deploymentExists(ctx, st, a.ID, *in.DeploymentID); err != nil {
				return err
			}
			sg.DeploymentID = *in.DeploymentID
		}
		if in.Description != nil {
			if len(*in.Description) > 1024 {
				return badRequest("description is longer than 1024 characters")
			}
			sg.Description = *in.Description
		}
		for k, v := range in.StageVariables {
			if sg.Variables == nil {
				sg.Variables = map[string]string{}
			}
			if v == "" {
				delete(sg.Variables, k)
				continue
			}
			sg.Variables[k] = v
		}
		if err := checkVariables(sg.Variables); err != nil {
			return err
		}
		if in.AutoDeploy != nil {
			sg.AutoDeploy = *in.AutoDeploy
		}
		if rs := in.DefaultRouteSettings; rs != nil {
			if rs.ThrottlingRateLimit < 0 || rs.ThrottlingBurstLimit < 0 {
				return badRequest("throttling limits must not be negative")
			}
			if sg.MethodSettings == nil {
				sg.MethodSettings = map[string]model.MethodSetting{}
			}
			sg.MethodSettings[model.StageDefaults] = model.MethodSetting{
				ThrottlingRateLimit: rs.ThrottlingRateLimit, ThrottlingBurstLimit: rs.ThrottlingBurstLimit,
				MetricsEnabled: rs.DetailedMetrics, LoggingLevel: rs.LoggingLevel,
			}
		}
		return applyRouteSettings(sg, in.RouteSettings)
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewV2Stage(sg), nil
}

func (s *Service) deleteV2Stage(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	sg, rev, err := loadStage(ctx, st, a.ID, r.PathValue("stage_name"))
	if err != nil {
		return 0, nil, err
	}
	if err := st.remove(ctx, wire.KeyStage(a.ID, sg.StageName), rev); err != nil {
		return 0, nil, storeErr(err, "stage")
	}
	return http.StatusNoContent, nil, nil
}

func (s *Service) getV2Deployment(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	id := r.PathValue("deployment_id")
	d, _, err := read[model.Deployment](ctx, st, deploymentKey(a.ID, id), notFound("Unable to find Deployment with id '%s'", id))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v2DeploymentView{DeploymentID: d.ID, DeploymentStatus: "DEPLOYED", Description: d.Description,
		CreatedDate: d.CreatedDate, AutoDeployed: d.AutoDeployed}, nil
}

func (s *Service) deleteV2Deployment(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	if _, _, err := loadV2API(ctx, st, r.PathValue("api_id")); err != nil {
		return 0, nil, err
	}
	r.SetPathValue("restapi_id", r.PathValue("api_id"))
	return s.deleteDeployment(ctx, st, r, body)
}

// Route responses.

func (s *Service) createV2RouteResponse(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		RouteResponseKey         string            `json:"routeResponseKey"`
		ModelSelectionExpression string            `json:"modelSelectionExpression"`
		ResponseModels           map[string]string `json:"responseModels"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	if in.RouteResponseKey == "" || len(in.RouteResponseKey) > maxRouteKeyLen {
		return 0, nil, badRequest("routeResponseKey is required (at most %d characters)", maxRouteKeyLen)
	}
	rr := v2RouteResponse{ID: newID(), Key: in.RouteResponseKey, ModelSelectionExpression: in.ModelSelectionExpression, ResponseModels: in.ResponseModels}
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		rt, err := findRoute(a, r.PathValue("route_id"))
		if err != nil {
			return err
		}
		return addV2Response(&a.V2RouteResponses, rt.ID, rr, "route response")
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, rr, nil
}

func (s *Service) getV2RouteResponses(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	rt, err := findRoute(a, r.PathValue("route_id"))
	if err != nil {
		return 0, nil, err
	}
	out := v2Items[v2RouteResponse]{Items: append([]v2RouteResponse{}, a.V2RouteResponses[rt.ID]...)}
	return http.StatusOK, out, nil
}

func routeResponseAt(a *storedAPI, r *http.Request) (string, int, error) {
	rt, err := findRoute(a, r.PathValue("route_id"))
	if err != nil {
		return "", 0, err
	}
	id := r.PathValue("route_response_id")
	if i := v2ResponseIndex(a.V2RouteResponses[rt.ID], id); i >= 0 {
		return rt.ID, i, nil
	}
	return "", 0, notFound("Unable to find RouteResponse with id '%s'", id)
}

func (s *Service) getV2RouteResponse(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	rid, i, err := routeResponseAt(a, r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.V2RouteResponses[rid][i], nil
}

func (s *Service) updateV2RouteResponse(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		RouteResponseKey         *string           `json:"routeResponseKey"`
		ModelSelectionExpression *string           `json:"modelSelectionExpression"`
		ResponseModels           map[string]string `json:"responseModels"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	var out v2RouteResponse
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		rid, i, err := routeResponseAt(a, r)
		if err != nil {
			return err
		}
		rr := &a.V2RouteResponses[rid][i]
		if in.RouteResponseKey != nil {
			if *in.RouteResponseKey == "" || len(*in.RouteResponseKey) > maxRouteKeyLen {
				return badRequest("routeResponseKey must not be empty (at most %d characters)", maxRouteKeyLen)
			}
			rr.Key = *in.RouteResponseKey
		}
		if in.ModelSelectionExpression != nil {
			rr.ModelSelectionExpression = *in.ModelSelectionExpression
		}
		if in.ResponseModels != nil {
			rr.ResponseModels = in.ResponseModels
		}
		out = *rr
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (s *Service) deleteV2RouteResponse(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		rid, i, err := routeResponseAt(a, r)
		if err != nil {
			return err
		}
		list := a.V2RouteResponses[rid]
		a.V2RouteResponses[rid] = append(list[:i:i], list[i+1:]...)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// Integration responses.

type v2IntegrationResponseInput struct {
	IntegrationResponseKey      *string           `json:"integrationResponseKey"`
	ContentHandlingStrategy     *string           `json:"contentHandlingStrategy"`
	ResponseParameters          map[string]string `json:"responseParameters"`
	ResponseTemplates           map[string]string `json:"responseTemplates"`
	TemplateSelectionExpression *string           `json:"templateSelectionExpression"`
}

func (in *v2IntegrationResponseInput) apply(ir *v2IntegrationResponse) error {
	if in.IntegrationResponseKey != nil {
		ir.Key = *in.IntegrationResponseKey
	}
	if ir.Key == "" || len(ir.Key) > maxRouteKeyLen {
		return badRequest("integrationResponseKey is required (at most %d characters)", maxRouteKeyLen)
	}
	if in.ContentHandlingStrategy != nil {
		if !contentHandlings[*in.ContentHandlingStrategy] {
			return badRequest("Invalid contentHandlingStrategy %q", *in.ContentHandlingStrategy)
		}
		ir.ContentHandlingStrategy = *in.ContentHandlingStrategy
	}
	if in.ResponseParameters != nil {
		ir.ResponseParameters = in.ResponseParameters
	}
	if in.ResponseTemplates != nil {
		ir.ResponseTemplates = in.ResponseTemplates
	}
	if in.TemplateSelectionExpression != nil {
		ir.TemplateSelectionExpression = *in.TemplateSelectionExpression
	}
	if len(ir.ResponseParameters) > maxParamEntries || len(ir.ResponseTemplates) > maxParamEntries {
		return badRequest("too many response parameters or templates: at most %d", maxParamEntries)
	}
	for ct, t := range ir.ResponseTemplates {
		if len(t) > maxTemplateLen {
			return badRequest("response template for %s is longer than %d bytes", ct, maxTemplateLen)
		}
	}
	return nil
}

func (s *Service) createV2IntegrationResponse(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in v2IntegrationResponseInput
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	ir := v2IntegrationResponse{ID: newID()}
	if err := in.apply(&ir); err != nil {
		return 0, nil, err
	}
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		integ, err := findV2Integration(a, r.PathValue("integration_id"))
		if err != nil {
			return err
		}
		return addV2Response(&a.V2IntegrationResponses, integ.ID, ir, "integration response")
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, ir, nil
}

func integrationResponseV2At(a *storedAPI, r *http.Request) (string, int, error) {
	integ, err := findV2Integration(a, r.PathValue("integration_id"))
	if err != nil {
		return "", 0, err
	}
	id := r.PathValue("integration_response_id")
	if i := v2ResponseIndex(a.V2IntegrationResponses[integ.ID], id); i >= 0 {
		return integ.ID, i, nil
	}
	return "", 0, notFound("Unable to find IntegrationResponse with id '%s'", id)
}

func (s *Service) getV2IntegrationResponses(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	integ, err := findV2Integration(a, r.PathValue("integration_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, v2Items[v2IntegrationResponse]{Items: append([]v2IntegrationResponse{}, a.V2IntegrationResponses[integ.ID]...)}, nil
}

func (s *Service) getV2IntegrationResponse(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	iid, i, err := integrationResponseV2At(a, r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.V2IntegrationResponses[iid][i], nil
}

func (s *Service) updateV2IntegrationResponse(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in v2IntegrationResponseInput
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	var out v2IntegrationResponse
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		iid, i, err := integrationResponseV2At(a, r)
		if err != nil {
			return err
		}
		ir := a.V2IntegrationResponses[iid][i]
		if err := in.apply(&ir); err != nil {
			return err
		}
		a.V2IntegrationResponses[iid][i] = ir
		out = ir
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (s *Service) deleteV2IntegrationResponse(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		iid, i, err := integrationResponseV2At(a, r)
		if err != nil {
			return err
		}
		list := a.V2IntegrationResponses[iid]
		a.V2IntegrationResponses[iid] = append(list[:i:i], list[i+1:]...)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
