package admin

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/admin/internal/oasimport"
)

// Bounds of a REST API's fields.
const (
	maxNameLen         = 1024
	maxDescLen         = 4096
	maxCompressionSize = 10485760
)

func errCompressionSize() error {
	return badRequest("Invalid minimum compression size, must be between 0 and %d", maxCompressionSize)
}

// defaultModels are the models AWS gives every API it creates.
func defaultModels() []model.Model {
	return []model.Model{
		{ID: newID(), Name: "Empty", ContentType: "application/json", Description: "This is a default empty schema model",
			Schema: "{\n  \"$schema\": \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Empty Schema\",\n  \"type\" : \"object\"\n}"},
		{ID: newID(), Name: "Error", ContentType: "application/json", Description: "This is a default error schema model",
			Schema: "{\n  \"$schema\" : \"http://json-schema.org/draft-04/schema#\",\n  \"title\" : \"Error Schema\",\n  \"type\" : \"object\",\n  \"properties\" : {\n    \"message\" : { \"type\" : \"string\" }\n  }\n}"},
	}
}

// decodeBody decodes a JSON request body strictly into v; an empty body leaves v as is.
func decodeBody(body []byte, v any) error {
	if len(strings.TrimSpace(string(body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(body, v); err != nil {
		return badRequest("Invalid request body: %v", err)
	}
	return nil
}

// loadAPI reads an API or answers AWS's 404.
func loadAPI(ctx context.Context, st *store, id string) (*model.RestAPI, uint64, error) {
	return loadAPIOr(ctx, st, id, errNoAPI(id))
}

// loadAPIOr reads an API or answers missing (some operations answer another 404 or a 400).
func loadAPIOr(ctx context.Context, st *store, id string, missing error) (*model.RestAPI, uint64, error) {
	return read[model.RestAPI](ctx, st, restAPIKey(id), missing)
}

// restAPIKey is the key of an API of either protocol ("" for an id that cannot be one).
func restAPIKey(id string) string { return tokenKey(wire.KeyRestAPI(id), id) }

// errNoAPI is AWS's 404 for an API id that names none: it quotes the account and the id.
func errNoAPI(id string) error {
	return notFound("Invalid API identifier specified %s:%s", iamAccountForARN, id)
}

func (s *Service) createOrImportRestAPI(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	if r.URL.Query().Get("mode") == "import" {
		return s.importRestAPI(ctx, st, r, body)
	}
	var in struct {
		Name                   string                       `json:"name"`
		Description            *string                      `json:"description"`
		Version                string                       `json:"version"`
		BinaryMediaTypes       []string                     `json:"binaryMediaTypes"`
		APIKeySource           string                       `json:"apiKeySource"`
		Policy                 string                       `json:"policy"`
		Tags                   map[string]string            `json:"tags"`
		MinimumCompressionSize *int                         `json:"minimumCompressionSize"`
		EndpointConfiguration  *model.EndpointConfiguration `json:"endpointConfiguration"`
		DisableExecuteAPI      bool                         `json:"disableExecuteApiEndpoint"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	if in.Description != nil && *in.Description == "" {
		return 0, nil, badRequest("Description cannot be an empty string")
	}
	if err := checkCompressionSize(in.MinimumCompressionSize); err != nil {
		return 0, nil, err
	}
	if err := checkEndpoint(in.EndpointConfiguration); err != nil {
		return 0, nil, err
	}
	desc := ""
	if in.Description != nil {
		desc = *in.Description
	}
	if in.Name == "" || len(in.Name) > maxNameLen {
		return 0, nil, badRequest("name is required (at most %d characters)", maxNameLen)
	}
	if len(desc) > maxDescLen {
		return 0, nil, badRequest("description is longer than %d characters", maxDescLen)
	}
	switch in.APIKeySource {
	case "", "HEADER", "AUTHORIZER":
	default:
		return 0, nil, badRequest("Invalid apiKeySource %q", in.APIKeySource)
	}
	a := model.RestAPI{
		ID: newID(), Name: in.Name, Description: desc, Version: in.Version,
		CreatedDate: time.Now().UTC(), BinaryMediaTypes: in.BinaryMediaTypes, APIKeySource: in.APIKeySource,
		Policy: in.Policy, Tags: in.Tags,
		Resources: []model.Resource{{ID: newID(), Path: "/"}}, Models: defaultModels(),
		EndpointConfiguration: in.EndpointConfiguration, MinimumCompressionSize: in.MinimumCompressionSize,
		DisableExecuteAPIEndpoint: in.DisableExecuteAPI,
	}
	if _, err := st.create(ctx, wire.KeyRestAPI(a.ID), &a); err != nil {
		return 0, nil, storeErr(err, "API")
	}
	return http.StatusCreated, viewRestAPI(&a), nil
}

func convertDoc(body []byte) (model.RestAPI, error) {
	a, err := oasimport.Convert(body, newID)
	if err != nil {
		// oasimport's messages describe the document only, so they are safe to return.
		return model.RestAPI{}, badRequest("%v", err)
	}
	return a, nil
}

func (s *Service) importRestAPI(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	a, err := convertDoc(body)
	if err != nil {
		return 0, nil, err
	}
	// import-rest-api --parameters endpointConfigurationTypes=REGIONAL
	if t := r.URL.Query().Get("endpointConfigurationTypes"); t != "" {
		e := &model.EndpointConfiguration{Types: []string{t}}
		if a.EndpointConfiguration != nil {
			e.VPCEndpointIDs = a.EndpointConfiguration.VPCEndpointIDs
		}
		if err := checkEndpoint(e); err != nil {
			return 0, nil, err
		}
		a.EndpointConfiguration = e
	}
	a.ID = newID()
	a.CreatedDate = time.Now().UTC()
	if _, err := st.create(ctx, wire.KeyRestAPI(a.ID), &a); err != nil {
		return 0, nil, storeErr(err, "API")
	}
	return http.StatusCreated, viewRestAPI(&a), nil
}

func (s *Service) getRestAPIs(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	apis, err := readAll[model.RestAPI](ctx, st, wire.KeyRestAPIsPrefix+"*")
	if err != nil {
		return 0, nil, err
	}
	out := []restAPIView{}
	for i := range apis {
		if apis[i].Protocol == "" {
			out = append(out, viewRestAPI(&apis[i]))
		}
	}
	return http.StatusOK, page(r, out), nil
}

func (s *Service) getRestAPI(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadAPI(ctx, st, r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewRestAPI(a), nil
}

// putRestAPI replaces (mode=overwrite) or merges into (mode=merge, the default) an API's
// definition. Resources keep their ids when their path survives.
func (s *Service) putRestAPI(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	mode := r.URL.Query().Get("mode")
	if mode == "" {
		mode = "merge"
	}
	if mode != "merge" && mode != "overwrite" {
		return 0, nil, badRequest("Invalid mode %q: must be merge or overwrite", mode)
	}
	old, rev, err := loadAPI(ctx, st, r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	if old.Protocol != "" {
		return 0, nil, badRequest("API %s is an %s API: manage it with apigatewayv2", old.ID, old.Protocol)
	}
	next, err := convertDoc(body)
	if err != nil {
		return 0, nil, err
	}
	var out model.RestAPI
	if mode == "overwrite" {
		out = next
		out.Resources = keepResourceIDs(old.Resources, next.Resources)
	} else {
		out = mergeAPI(old, &next)
	}
	out.ID, out.CreatedDate, out.Tags = old.ID, old.CreatedDate, old.Tags
	if out.Policy == "" {
		out.Policy = old.Policy
	}
	if _, err := st.update(ctx, wire.KeyRestAPI(old.ID), &out, rev); err != nil {
		return 0, nil, storeErr(err, "API")
	}
	return http.StatusOK, viewRestAPI(&out), nil
}

// keepResourceIDs gives each new resource the id of the old resource at the same path.
func keepResourceIDs(old, next []model.Resource) []model.Resource {
	byPath := make(map[string]string, len(old))
	for _, r := range old {
		byPath[r.Path] = r.ID
	}
	remap := map[string]string{}
	out := make([]model.Resource, len(next))
	for i, r := range next {
		if id, ok := byPath[r.Path]; ok {
			remap[r.ID] = id
			r.ID = id
		}
		out[i] = r
	}
	for i := range out {
		if id, ok := remap[out[i].ParentID]; ok {
			out[i].ParentID = id
		}
	}
	return out
}

// mergeAPI adds next's resources, methods, models and validators to old's; next wins on a
// clash (same path and method, same model or validator name).
func mergeAPI(old, next *model.RestAPI) model.RestAPI {
	out := *old
	out.Resources = append([]model.Resource(nil), old.Resources...)
	idx := make(map[string]int, len(out.Resources))
	for i, r := range out.Resources {
		idx[r.Path] = i
	}
	ids := map[string]string{} // next's id -> merged id
	for _, r := range next.Resources {
		if i, ok := idx[r.Path]; ok {
			ids[r.ID] = out.Resources[i].ID
			ms := make(map[string]model.Method, len(out.Resources[i].ResourceMethods)+len(r.ResourceMethods))
			for k, m := range out.Resources[i].ResourceMethods {
				ms[k] = m
			}
			for k, m := range r.ResourceMethods {
				ms[k] = m
			}
			if len(ms) > 0 {
				out.Resources[i].ResourceMethods = ms
			}
			continue
		}
		ids[r.ID] = r.ID
		if p, ok := ids[r.ParentID]; ok {
			r.ParentID = p
		}
		idx[r.Path] = len(out.Resources)
		out.Resources = append(out.Resources, r)
	}
	out.Models = mergeByName(old.Models, next.Models, func(m model.Model) string { return m.Name })
	out.RequestValidators = mergeByName(old.RequestValidators, next.RequestValidators, func(v model.RequestValidator) string { return v.Name })
	if next.Description != "" {
		out.Description = next.Description
	}
	if next.Version != "" {
		out.Version = next.Version
	}
	if next.APIKeySource != "" {
		out.APIKeySource = next.APIKeySource
	}
	if len(next.BinaryMediaTypes) > 0 {
		out.BinaryMediaTypes = next.BinaryMediaTypes
	}
	if len(next.GatewayResponses) > 0 {
		gr := map[string]model.GatewayResponse{}
		for k, v := range old.GatewayResponses {
			gr[k] = v
		}
		for k, v := range next.GatewayResponses {
			gr[k] = v
		}
		out.GatewayResponses = gr
	}
	return out
}

func mergeByName[T any](old, next []T, name func(T) string) []T {
	out := append([]T(nil), old...)
	pos := map[string]int{}
	for i, v := range out {
		pos[name(v)] = i
	}
	for _, v := range next {
		if i, ok := pos[name(v)]; ok {
			out[i] = v
			continue
		}
		pos[name(v)] = len(out)
		out = append(out, v)
	}
	return out
}

// deleteRestAPI removes the stages (the pointers edges follow) first, then deployments, then
// the definition, so a failure midway never leaves a stage pointing at nothing.
func (s *Service) deleteRestAPI(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, rev, err := loadAPI(ctx, st, r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	for _, prefix := range []string{wire.KeyStagesPrefix, wire.KeyDeploymentsPrefix} {
		keys, err := st.keys(ctx, prefix+a.ID+".*")
		if err != nil {
			return 0, nil, err
		}
		for _, k := range keys {
			if err := st.remove(ctx, k, 0); err != nil {
				return 0, nil, err
			}
		}
	}
	if err := st.remove(ctx, wire.KeyRestAPI(a.ID), rev); err != nil {
		return 0, nil, storeErr(err, "API")
	}
	return http.StatusAccepted, nil, nil
}

func findResource(a *model.RestAPI, id string) (*model.Resource, error) {
	for i := range a.Resources {
		if a.Resources[i].ID == id {
			return &a.Resources[i], nil
		}
	}
	return nil, errNoResource()
}

func (s *Service) getResources(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadAPI(ctx, st, r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	res := a.Resources
	if res == nil {
		res = []model.Resource{}
	}
	return http.StatusOK, page(r, res), nil
}

func (s *Service) getResource(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadAPI(ctx, st, r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	res, err := findResource(a, r.PathValue("resource_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, res, nil
}

func (s *Service) loadMethod(ctx context.Context, st *store, r *http.Request) (*model.Method, error) {
	a, _, err := loadAPI(ctx, st, r.PathValue("restapi_id"))
	if err != nil {
		return nil, err
	}
	res, err := findResource(a, r.PathValue("resource_id"))
	if err != nil {
		return nil, err
	}
	m, ok := res.ResourceMethods[strings.ToUpper(r.PathValue("http_method"))]
	if !ok {
		return nil, notFound("Invalid Method identifier specified")
	}
	return &m, nil
}

func (s *Service) getMethod(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	m, err := s.loadMethod(ctx, st, r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, m, nil
}

// updateRestAPI applies AWS patch operations to an API's own fields.
func (s *Service) updateRestAPI(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	ops, err := decodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	a, err := mutateREST(ctx, st, r.PathValue("restapi_id"), func(a *model.RestAPI) error {
		if err := applyPatch(ops, func(p patchOp) error { return applyRestAPIPatch(a, p) }); err != nil {
			return err
		}
		if a.Name == "" || len(a.Name) > maxNameLen {
			return badRequest("name is required (at most %d characters)", maxNameLen)
		}
		if len(a.Description) > maxDescLen {
			return badRequest("description is longer than %d characters", maxDescLen)
		}
		switch a.APIKeySource {
		case "", "HEADER", "AUTHORIZER":
		default:
			return badRequest("Invalid apiKeySource %q", a.APIKeySource)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	v := viewRestAPI(a)
	if v.Tags == nil {
		v.Tags = &map[string]string{} // AWS's update answer always carries tags
	}
	return http.StatusOK, v, nil
}

func applyRestAPIPatch(a *model.RestAPI, p patchOp) error {
	switch p.Path {
	case "/name":
		return patchString(p, &a.Name)
	case "/description":
		return patchString(p, &a.Description)
	case "/version":
		return patchString(p, &a.Version)
	case "/disableExecuteApiEndpoint":
		if p.Op != "replace" {
			return errOnlyReplace()
		}
		b, err := strconv.ParseBool(p.Value)
		if err != nil {
			return badRequest("Invalid value for disableExecuteApiEndpoint: %s. Must be true or false", p.Value)
		}
		a.DisableExecuteAPIEndpoint = b
		return nil
	case "/apiKeySource":
		return patchString(p, &a.APIKeySource)
	case "/policy":
		return patchString(p, &a.Policy)
	case "/binaryMediaTypes":
		return badPatchPath(p.Path)
	case "/minimumCompressionSize":
		return patchCompressionSize(a, p)
	}
	if strings.HasPrefix(p.Path, "/endpointConfiguration/") {
		return patchEndpoint(a, p)
	}
	if rest, ok := strings.CutPrefix(p.Path, "/binaryMediaTypes/"); ok && rest != "" {
		mt := pointerToken(rest)
		kept := a.BinaryMediaTypes[:0:0]
		for _, t := range a.BinaryMediaTypes {
			if t != mt {
				kept = append(kept, t)
			}
		}
		switch p.Op {
		case "add", "replace":
			if len(kept) >= maxParamEntries {
				return badRequest("too many binary media types: at most %d", maxParamEntries)
			}
			if p.Op == "replace" && p.Value != "" {
				mt = p.Value
			}
			kept = append(kept, mt)
		case "remove":
		default:
			return invalidPatchPath(p)
		}
		a.BinaryMediaTypes = kept
		return nil
	}
	return invalidPatchPath(p)
}
