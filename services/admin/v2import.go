package admin

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/admin/internal/oasexport"
)

// apigatewayv2 import-api, reimport-api and export-api for HTTP APIs. An OpenAPI document's
// operations become routes ("GET /pets/{id}"; x-amazon-apigateway-any-method is ANY, the
// path /$default is the $default route) and each operation's x-amazon-apigateway-integration
// becomes an integration the route targets. Export renders routes back as paths.

const defaultRoutePath = "/$default"

// decodeImportBody reads ImportApi/ReimportApi's {"body": "<OpenAPI document>"}.
func decodeImportBody(body []byte) ([]byte, error) {
	var in struct {
		Body string `json:"body"`
	}
	if err := decodeBody(body, &in); err != nil {
		return nil, err
	}
	if strings.TrimSpace(in.Body) == "" {
		return nil, badRequest("body is required: the OpenAPI definition to import")
	}
	return []byte(in.Body), nil
}

// httpAPIFromDoc converts an OpenAPI document into an HTTP API's routes and integrations.
func httpAPIFromDoc(doc []byte) (*storedAPI, error) {
	rest, err := convertDoc(doc)
	if err != nil {
		return nil, err
	}
	a := &storedAPI{RestAPI: model.RestAPI{
		Name: rest.Name, Description: rest.Description, Version: rest.Version, Protocol: model.ProtocolHTTP,
		RouteSelectionExpression: defaultHTTPRSE, Authorizers: rest.Authorizers, Models: rest.Models,
	}}
	for _, res := range rest.Resources {
		verbs := make([]string, 0, len(res.ResourceMethods))
		for v := range res.ResourceMethods {
			verbs = append(verbs, v)
		}
		slices.Sort(verbs)
		for _, verb := range verbs {
			m := res.ResourceMethods[verb]
			key := verb + " " + res.Path
			if res.Path == defaultRoutePath {
				key = "$default"
			}
			if !validRouteKey(model.ProtocolHTTP, key) {
				return nil, badRequest("Invalid route %q in the document", key)
			}
			if len(a.Routes) >= maxRoutes {
				return nil, badRequest("too many routes: at most %d", maxRoutes)
			}
			rt := model.Route{ID: newID(), RouteKey: key, AuthorizationType: m.AuthorizationType, AuthorizerID: m.AuthorizerID, APIKeyRequired: m.APIKeyRequired}
			if rt.AuthorizationType == model.AuthCustom {
				for _, az := range a.Authorizers {
					if az.ID == rt.AuthorizerID && az.Type == "JWT" {
						rt.AuthorizationType = model.AuthJWT
					}
				}
			}
			if in := m.MethodIntegration; in != nil {
				integ := v2Integration{ID: newID(), Integration: *in}
				integ.IntegrationResponses = nil
				if !v2IntegrationTypes[integ.Type] {
					return nil, badRequest("Unsupported integration type %q on %s", integ.Type, key)
				}
				if integ.PayloadFormatVersion == "" && (integ.Type == model.IntegrationNATSProxy || integ.Type == model.IntegrationAWSProxy) {
					integ.PayloadFormatVersion = "2.0"
				}
				if integ.TimeoutInMillis == 0 || integ.TimeoutInMillis > 30000 {
					integ.TimeoutInMillis = 30000
				}
				a.V2Integrations = append(a.V2Integrations, integ)
				if a.V2RouteTargets == nil {
					a.V2RouteTargets = map[string]string{}
				}
				a.V2RouteTargets[rt.ID] = integ.ID
			}
			a.Routes = append(a.Routes, rt)
		}
	}
	if len(a.Routes) == 0 {
		return nil, badRequest("The document defines no operations")
	}
	relinkRoutes(a)
	return a, nil
}

func (s *Service) importV2API(ctx context.Context, st *store, _ *http.Request, body []byte) (int, any, error) {
	doc, err := decodeImportBody(body)
	if err != nil {
		return 0, nil, err
	}
	a, err := httpAPIFromDoc(doc)
	if err != nil {
		return 0, nil, err
	}
	a.ID, a.CreatedDate = newID(), time.Now().UTC()
	if _, err := st.create(ctx, wire.KeyRestAPI(a.ID), a); err != nil {
		return 0, nil, storeErr(err, "API")
	}
	return http.StatusCreated, s.viewV2API(a), nil
}

// reimportV2API replaces an HTTP API's routes, integrations, authorizers and models with the
// document's; the API keeps its id, stages and tags, and auto-deploy stages follow.
func (s *Service) reimportV2API(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	doc, err := decodeImportBody(body)
	if err != nil {
		return 0, nil, err
	}
	next, err := httpAPIFromDoc(doc)
	if err != nil {
		return 0, nil, err
	}
	a, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		if a.Protocol != model.ProtocolHTTP {
			return badRequest("Only HTTP APIs can be reimported")
		}
		id, created, tags := a.ID, a.CreatedDate, a.Tags
		*a = *next
		a.ID, a.CreatedDate, a.Tags = id, created, tags
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, s.viewV2API(a), nil
}

// restTreeOf renders an HTTP API's routes as a REST resource tree for the OpenAPI exporter.
func restTreeOf(a *model.RestAPI) *model.RestAPI {
	out := *a
	out.Protocol, out.Routes = "", nil
	root := model.Resource{ID: "r0", Path: "/"}
	out.Resources = []model.Resource{root}
	byPath := map[string]int{"/": 0}
	ensure := func(path string) int {
		if i, ok := byPath[path]; ok {
			return i
		}
		parent := "/"
		segs := strings.Split(strings.Trim(path, "/"), "/")
		for _, seg := range segs {
			p := childPath(parent, seg)
			if _, ok := byPath[p]; !ok {
				byPath[p] = len(out.Resources)
				out.Resources = append(out.Resources, model.Resource{ID: "r" + strconv.Itoa(len(out.Resources)), ParentID: out.Resources[byPath[parent]].ID, PathPart: seg, Path: p})
			}
			parent = p
		}
		return byPath[path]
	}
	for _, rt := range a.Routes {
		verb, path, ok := strings.Cut(rt.RouteKey, " ")
		if rt.RouteKey == "$default" {
			verb, path, ok = "ANY", defaultRoutePath, true
		}
		if !ok {
			continue
		}
		i := ensure(path)
		res := &out.Resources[i]
		if res.ResourceMethods == nil {
			res.ResourceMethods = map[string]model.Method{}
		}
		authType := rt.AuthorizationType
		if authType == "" {
			authType = model.AuthNone
		}
		res.ResourceMethods[verb] = model.Method{HTTPMethod: verb, AuthorizationType: authType, AuthorizerID: rt.AuthorizerID,
			APIKeyRequired: rt.APIKeyRequired, MethodIntegration: rt.Integration}
	}
	return &out
}

// exportV2API renders an HTTP API (its working definition, or with stageName the deployment
// that stage serves) as OpenAPI 3.0, JSON or YAML.
func (s *Service) exportV2API(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	if spec := r.PathValue("specification"); spec != "OAS30" {
		return 0, nil, badRequest("Invalid specification %q: OAS30", spec)
	}
	q := r.URL.Query()
	outType := q.Get("outputType")
	if outType != "JSON" && outType != "YAML" {
		return 0, nil, badRequest("outputType must be JSON or YAML")
	}
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	if a.Protocol != model.ProtocolHTTP {
		return 0, nil, badRequest("Only HTTP APIs can be exported")
	}
	api, stage := &a.RestAPI, q.Get("stageName")
	if stage != "" {
		sg, _, err := loadStage(ctx, st, a.ID, stage)
		if err != nil {
			return 0, nil, err
		}
		var d model.Deployment
		if _, err := st.get(ctx, wire.KeyDeployment(a.ID, sg.DeploymentID), &d); err != nil {
			if errors.Is(err, errNotFound) {
				return 0, nil, notFound("Stage %s has no deployment", stage)
			}
			return 0, nil, err
		}
		api = &d.API
	}
	doc, err := oasexport.Export(restTreeOf(api), stage, oasexport.TypeOAS30, q.Get("includeExtensions") != "false")
	if err != nil {
		return 0, nil, err
	}
	data, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return 0, nil, err
	}
	if outType == "YAML" {
		if data, err = yaml.JSONToYAML(data); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, rawBody{contentType: "application/yaml", data: data}, nil
	}
	return http.StatusOK, rawBody{contentType: "application/json", data: data}, nil
}
