package admin

import (
	"context"
	"net/http"
	"strings"

	"github.com/portico/portico/pkg/model"
)

// The REST resource tree: resources, methods, method responses, integrations and integration
// responses. Every operation is a read-modify-write of the API's definition with a revision
// check, so a concurrent change is a ConflictException, never a lost update.

// Bounds of the resource tree.
const (
	maxResources    = 300
	maxPathPartLen  = 256
	maxResponses    = 50
	maxTemplateLen  = 64 << 10
	maxParamEntries = 100
)

// mutateREST applies fn to a REST API and writes it back with a revision check.
func mutateREST(ctx context.Context, st *store, id string, fn func(*model.RestAPI) error) (*model.RestAPI, error) {
	return mutateRESTOr(ctx, st, id, errNoAPI(id), fn)
}

// mutateRESTOr is mutateREST answering missing when there is no such REST API.
func mutateRESTOr(ctx context.Context, st *store, id string, missing error, fn func(*model.RestAPI) error) (*model.RestAPI, error) {
	return update(ctx, st, restAPIKey(id), "API", missing, func(a *model.RestAPI) error {
		if a.Protocol != "" {
			return missing
		}
		return fn(a)
	})
}

// validPathPart accepts a literal segment, {param} or {proxy+}.
func validPathPart(p string) bool {
	if p == "" || len(p) > maxPathPartLen {
		return false
	}
	name := p
	if strings.HasPrefix(p, "{") && strings.HasSuffix(p, "}") {
		name = strings.TrimSuffix(strings.TrimSuffix(p[1:], "}"), "+")
		if name == "" {
			return false
		}
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-:@~", r)) {
			return false
		}
	}
	return true
}

func childPath(parent, part string) string {
	if parent == "/" {
		return "/" + part
	}
	return parent + "/" + part
}

func (s *Service) createResource(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		PathPart string `json:"pathPart"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	if !validPathPart(in.PathPart) {
		return 0, nil, badRequest("Resource's path part only allow a-zA-Z0-9._-: and curly braces at the beginning and the end and an optional plus sign before the closing brace.")
	}
	var out model.Resource
	_, err := mutateREST(ctx, st, r.PathValue("restapi_id"), func(a *model.RestAPI) error {
		parent, err := findResource(a, r.PathValue("parent_id"))
		if err != nil {
			return err
		}
		if strings.HasSuffix(parent.PathPart, "+}") {
			return badRequest("Cannot create a child of a resource with a greedy path variable: %s", parent.PathPart)
		}
		if len(a.Resources) >= maxResources {
			return badRequest("too many resources: at most %d", maxResources)
		}
		path := childPath(parent.Path, in.PathPart)
		for _, res := range a.Resources {
			if res.ParentID == parent.ID && isParam(res.PathPart) && isParam(in.PathPart) && res.PathPart != in.PathPart {
				return badRequest("A sibling (%s) of this resource already has a variable path part -- only one is allowed", res.PathPart)
			}
			if res.Path == path {
				return conflict("Another resource with the same parent already has this name: %s", in.PathPart)
			}
		}
		out = model.Resource{ID: newID(), ParentID: parent.ID, PathPart: in.PathPart, Path: path}
		a.Resources = append(a.Resources, out)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, out, nil
}

func isParam(part string) bool { return strings.HasPrefix(part, "{") }

// descendants returns id and the ids of every resource below it.
func descendants(a *model.RestAPI, id string) map[string]bool {
	out := map[string]bool{id: true}
	for grew := true; grew; {
		grew = false
		for _, res := range a.Resources {
			if !out[res.ID] && out[res.ParentID] {
				out[res.ID], grew = true, true
			}
		}
	}
	return out
}

func (s *Service) deleteResource(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	_, err := mutateREST(ctx, st, r.PathValue("restapi_id"), func(a *model.RestAPI) error {
		res, err := findResource(a, r.PathValue("resource_id"))
		if err != nil {
			return err
		}
		if res.Path == "/" {
			return badRequest("Cannot delete the root resource")
		}
		gone := descendants(a, res.ID)
		kept := a.Resources[:0]
		for _, x := range a.Resources {
			if !gone[x.ID] {
				kept = append(kept, x)
			}
		}
		a.Resources = kept
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}

// updateResource supports replace /pathPart and /parentId (the paths below follow).
func (s *Service) updateResource(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	ops, err := decodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	var out model.Resource
	_, err = mutateREST(ctx, st, r.PathValue("restapi_id"), func(a *model.RestAPI) error {
		res, err := findResource(a, r.PathValue("resource_id"))
		if err != nil {
			return err
		}
		for _, p := range ops {
			if p.Op != "replace" || p.Path != "/pathPart" && p.Path != "/parentId" || res.Path == "/" {
				return unsupportedPatch(p, "/parentId", "/pathPart")
			}
			part, parentID := res.PathPart, res.ParentID
			if p.Path == "/pathPart" {
				if !validPathPart(p.Value) {
					return badRequest("Invalid path part %q", p.Value)
				}
				part = p.Value
			} else {
				parentID = p.Value
			}
			parent, err := findResource(a, parentID)
			if err != nil {
				return err
			}
			if descendants(a, res.ID)[parent.ID] {
				return badRequest("Resources cannot be cyclical.")
			}
			if strings.HasSuffix(parent.PathPart, "+}") {
				return badRequest("Cannot create a child of a resource with a greedy path variable: %s", parent.PathPart)
			}
			oldPath, newPath := res.Path, childPath(parent.Path, part)
			for _, x := range a.Resources {
				if x.Path == newPath && x.ID != res.ID {
					return conflict("Another resource with the same parent already has this name: %s", part)
				}
			}
			for i := range a.Resources {
				x := &a.Resources[i]
				if x.ID == res.ID {
					x.PathPart, x.ParentID = part, parent.ID
				}
				if x.Path == oldPath || strings.HasPrefix(x.Path, oldPath+"/") {
					x.Path = newPath + strings.TrimPrefix(x.Path, oldPath)
				}
			}
		}
		out = *res
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

var restMethods = map[string]bool{"GET": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "HEAD": true, "OPTIONS": true, "ANY": true}

// methodAt finds the resource and, when must is set, the method; the method is returned by
// pointer into a copy the caller writes back with setMethod.
func methodAt(a *model.RestAPI, r *http.Request, must bool) (*model.Resource, string, *model.Method, error) {
	res, err := findResource(a, r.PathValue("resource_id"))
	if err != nil {
		return nil, "", nil, err
	}
	verb := strings.ToUpper(r.PathValue("http_method"))
	m, ok := res.ResourceMethods[verb]
	if !ok {
		if must {
			return nil, "", nil, notFound("Invalid Method identifier specified")
		}
		return res, verb, nil, nil
	}
	return res, verb, &m, nil
}

func setMethod(res *model.Resource, verb string, m model.Method) {
	if res.ResourceMethods == nil {
		res.ResourceMethods = map[string]model.Method{}
	}
	res.ResourceMethods[verb] = m
}

var authTypes = map[string]bool{model.AuthNone: true, model.AuthIAM: true, model.AuthCustom: true, model.AuthCognito: true}

func (s *Service) putMethod(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		AuthorizationType   string            `json:"authorizationType"`
		AuthorizerID        string            `json:"authorizerId"`
		APIKeyRequired      bool              `json:"apiKeyRequired"`
		OperationName       string            `json:"operationName"`
		RequestParameters   map[string]bool   `json:"requestParameters"`
		RequestModels       map[string]string `json:"requestModels"`
		RequestValidatorID  string            `json:"requestValidatorId"`
		AuthorizationScopes []string          `json:"authorizationScopes"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	verb := strings.ToUpper(r.PathValue("http_method"))
	m := model.Method{
		HTTPMethod: verb, AuthorizationType: in.AuthorizationType, AuthorizerID: in.AuthorizerID, APIKeyRequired: in.APIKeyRequired,
		OperationName: in.OperationName, RequestParameters: in.RequestParameters, RequestModels: in.RequestModels,
		RequestValidatorID: in.RequestValidatorID, AuthorizationScopes: in.AuthorizationScopes,
	}
	_, err := mutateRESTOr(ctx, st, r.PathValue("restapi_id"), errNoResource(), func(a *model.RestAPI) error {
		res, _, _, err := methodAt(a, r, false)
		if err != nil {
			return err
		}
		if !restMethods[verb] {
			return badRequest("Invalid HttpMethod specified. Valid options are GET,PUT,POST,DELETE,PATCH,OPTIONS,HEAD,ANY")
		}
		if !authTypes[m.AuthorizationType] {
			return badRequest("Invalid authorizationType %q: want NONE, AWS_IAM, CUSTOM or COGNITO_USER_POOLS", m.AuthorizationType)
		}
		if len(m.RequestParameters) > maxParamEntries || len(m.RequestModels) > maxParamEntries {
			return badRequest("too many request parameters or models: at most %d", maxParamEntries)
		}
		if err := checkRequestParams(m.RequestParameters); err != nil {
			return err
		}
		if err := checkMethodRefs(a, &m); err != nil {
			return err
		}
		setMethod(res, verb, m)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, m, nil
}

func validMethodRequestParam(k string) bool {
	for _, p := range []string{"method.request.path.", "method.request.querystring.", "method.request.header.", "method.request.multivaluequerystring.", "method.request.multivalueheader."} {
		if name, ok := strings.CutPrefix(k, p); ok && name != "" && len(name) <= 256 {
			return true
		}
	}
	return false
}

// checkRequestParams validates a method's request parameter names: each a method.request
// expression, and a name used once across querystring, header and path.
func checkRequestParams(params map[string]bool) error {
	seen := map[string]bool{}
	for k := range params {
		if !validMethodRequestParam(k) {
			return badRequest("Invalid mapping expression specified: %s", k)
		}
		name := k[strings.LastIndex(k, ".")+1:]
		if seen[name] {
			return badRequest("Parameter names must be unique across querystring, header and path")
		}
		seen[name] = true
	}
	return nil
}

// errNoResource is AWS's 404 for a resource, also its answer on a method of an unknown API.
func errNoResource() error { return notFound("Invalid Resource identifier specified") }

// checkMethodRefs verifies that the authorizer, request validator and models a method names
// exist. AWS keeps an authorizer id only on a CUSTOM or COGNITO_USER_POOLS method: on another
// it drops it unchecked.
func checkMethodRefs(a *model.RestAPI, m *model.Method) error {
	if m.AuthorizationType == model.AuthCustom || m.AuthorizationType == model.AuthCognito {
		found := false
		for _, au := range a.Authorizers {
			found = found || au.ID == m.AuthorizerID
		}
		if !found {
			return badRequest("Invalid authorizer ID specified. Setting the authorization type to CUSTOM or COGNITO_USER_POOLS requires a valid authorizer.")
		}
	} else {
		m.AuthorizerID = ""
	}
	for _, name := range m.RequestModels {
		if _, err := findModel(a, name); err != nil {
			return badRequest("Invalid model identifier specified: %s", name)
		}
	}
	if m.RequestValidatorID != "" {
		found := false
		for _, v := range a.RequestValidators {
			found = found || v.ID == m.RequestValidatorID
		}
		if !found {
			return badRequest("Invalid Request Validator identifier specified")
		}
	}
	return nil
}

func (s *Service) deleteMethod(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	_, err := mutateREST(ctx, st, r.PathValue("restapi_id"), func(a *model.RestAPI) error {
		res, verb, _, err := methodAt(a, r, true)
		if err != nil {
			return err
		}
		delete(res.ResourceMethods, verb)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// pointerToken unescapes one JSON-pointer token as AWS writes them ("application~1json").
func pointerToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// patchString applies a replace (or add) of a scalar string field.
func patchString(p patchOp, dst *string) error {
	switch p.Op {
	case "replace", "add":
		*dst = p.Value
	case "remove":
		*dst = ""
	default:
		return invalidPatchPath(p)
	}
	return nil
}

func patchBool(p patchOp, dst *bool) error {
	if p.Op != "replace" {
		return invalidPatchPath(p)
	}
	switch p.Value {
	case "true":
		*dst = true
	case "false":
		*dst = false
	default:
		return badRequest("Invalid value %q for patch path '%s': expected true or false", p.Value, p.Path)
	}
	return nil
}

// patchMap applies add/replace/remove of one entry of a string map at prefix/{name}.
func patchMap(p patchOp, prefix string, m *map[string]string) (bool, error) {
	rest, ok := strings.CutPrefix(p.Path, prefix)
	if !ok {
		return false, nil
	}
	name := pointerToken(rest)
	if name == "" || len(p.Value) > maxTemplateLen {
		return true, invalidPatchPath(p)
	}
	switch p.Op {
	case "add", "replace":
		if *m == nil {
			*m = map[string]string{}
		}
		if len(*m) >= maxParamEntries {
			return true, badRequest("too many entries under %s: at most %d", prefix, maxParamEntries)
		}
		(*m)[name] = p.Value
	case "remove":
		delete(*m, name)
	default:
		return true, invalidPatchPath(p)
	}
	return true, nil
}

// patchBoolMap is patchMap for map[string]bool (requestParameters, responseParameters).
func patchBoolMap(p patchOp, prefix string, m *map[string]bool) (bool, error) {
	rest, ok := strings.CutPrefix(p.Path, prefix)
	if !ok {
		return false, nil
	}
	name := pointerToken(rest)
	if name == "" {
		return true, invalidPatchPath(p)
	}
	switch p.Op {
	case "add", "replace":
		if *m == nil {
			*m = map[string]bool{}
		}
		if len(*m) >= maxParamEntries {
			return true, badRequest("too many entries under %s: at most %d", prefix, maxParamEntries)
		}
		(*m)[name] = p.Value == "true"
	case "remove":
		delete(*m, name)
	default:
		return true, invalidPatchPath(p)
	}
	return true, nil
}

func (s *Service) updateMethod(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	ops, err := decodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	var out model.Method
	_, err = mutateRESTOr(ctx, st, r.PathValue("restapi_id"), errNoResource(), func(a *model.RestAPI) error {
		res, verb, m, err := methodAt(a, r, true)
		if err != nil {
			return err
		}
		if err := applyPatch(ops, func(p patchOp) error { return applyMethodPatch(m, p) }); err != nil {
			return err
		}
		if !authTypes[m.AuthorizationType] {
			return badRequest("Invalid authorizationType %q", m.AuthorizationType)
		}
		if err := checkRequestParams(m.RequestParameters); err != nil {
			return err
		}
		if err := checkMethodRefs(a, m); err != nil {
			return err
		}
		setMethod(res, verb, *m)
		out = *m
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

// applyMethodPatch applies one UpdateMethod operation as AWS does: its scalars take only
// replace (a boolean is true only for "true"), its maps one escaped key each.
func applyMethodPatch(m *model.Method, p patchOp) error {
	scalar := map[string]*string{"/authorizationType": &m.AuthorizationType, "/authorizerId": &m.AuthorizerID,
		"/operationName": &m.OperationName, "/requestValidatorId": &m.RequestValidatorID}
	if dst, ok := scalar[p.Path]; ok || p.Path == "/apiKeyRequired" {
		if p.Op != "replace" {
			return errOnlyReplace()
		}
		if ok {
			*dst = p.Value
		} else {
			m.APIKeyRequired = strings.EqualFold(p.Value, "true")
		}
		return nil
	}
	if key, ok := mapKey(p.Path, "/requestParameters/"); ok {
		_, err := patchBoolMap(p, "/requestParameters/", &m.RequestParameters)
		if err == nil && p.Op != "remove" && !validMethodRequestParam(key) {
			return badPatchPath(p.Path)
		}
		return err
	}
	if _, ok := mapKey(p.Path, "/requestModels/"); ok {
		_, err := patchMap(p, "/requestModels/", &m.RequestModels)
		return err
	}
	return badPatchPath(p.Path)
}

// mapKey returns the unescaped key of a patch path prefix/{key}; false when path is not one
// (no key, or a key with an unescaped "/").
func mapKey(path, prefix string) (string, bool) {
	rest, ok := strings.CutPrefix(path, prefix)
	if !ok || rest == "" || strings.Contains(rest, "/") {
		return "", false
	}
	return pointerToken(rest), true
}

// validStatusCode accepts AWS's [1-5]\d\d.
func validStatusCode(c string) bool {
	return len(c) == 3 && c[0] >= '1' && c[0] <= '5' && c[1] >= '0' && c[1] <= '9' && c[2] >= '0' && c[2] <= '9'
}

func (s *Service) putMethodResponse(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		ResponseParameters map[string]bool   `json:"responseParameters"`
		ResponseModels     map[string]string `json:"responseModels"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	code := r.PathValue("status_code")
	if !validStatusCode(code) {
		return 0, nil, errBadStatusCode(code)
	}
	if len(in.ResponseParameters) > maxParamEntries || len(in.ResponseModels) > maxParamEntries {
		return 0, nil, badRequest("too many response parameters or models: at most %d", maxParamEntries)
	}
	for k := range in.ResponseParameters {
		if !strings.HasPrefix(k, "method.response.header.") {
			return 0, nil, badRequest("Invalid mapping expression specified: %s", k)
		}
	}
	mr := model.MethodResponse{StatusCode: code, ResponseParameters: in.ResponseParameters, ResponseModels: in.ResponseModels}
	_, err := mutateRESTOr(ctx, st, r.PathValue("restapi_id"), errNoResource(), func(a *model.RestAPI) error {
		res, verb, m, err := methodAt(a, r, true)
		if err != nil {
			return err
		}
		if m.MethodResponses == nil {
			m.MethodResponses = map[string]model.MethodResponse{}
		}
		if _, exists := m.MethodResponses[code]; !exists && len(m.MethodResponses) >= maxResponses {
			return badRequest("too many method responses: at most %d", maxResponses)
		}
		m.MethodResponses[code] = mr
		setMethod(res, verb, *m)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewMethodResponse(mr), nil
}

func methodResponseAt(m *model.Method, r *http.Request) (model.MethodResponse, error) {
	mr, ok := m.MethodResponses[r.PathValue("status_code")]
	if !ok {
		return model.MethodResponse{}, notFound("Invalid Response status code specified")
	}
	return mr, nil
}

func (s *Service) getMethodResponse(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	if code := r.PathValue("status_code"); !validStatusCode(code) {
		return 0, nil, errBadStatusCode(code)
	}
	m, err := s.loadMethodOf(ctx, st, r)
	if err != nil {
		return 0, nil, err
	}
	mr, err := methodResponseAt(m, r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewMethodResponse(mr), nil
}

func (s *Service) updateMethodResponse(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	ops, err := decodePatchOps(body, "updateMethodResponseInput", func() string {
		if code := r.PathValue("status_code"); !validStatusCode(code) {
			return statusCodeViolation(code)
		}
		return ""
	})
	if err != nil {
		return 0, nil, err
	}
	var out model.MethodResponse
	_, err = mutateRESTOr(ctx, st, r.PathValue("restapi_id"), errNoResource(), func(a *model.RestAPI) error {
		res, verb, m, err := methodAt(a, r, true)
		if err != nil {
			return err
		}
		mr, err := methodResponseAt(m, r)
		if err != nil {
			return err
		}
		for _, p := range ops {
			if err := applyMethodResponsePatch(&mr, p); err != nil {
				return err
			}
		}
		m.MethodResponses[mr.StatusCode] = mr
		setMethod(res, verb, *m)
		out = mr
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewMethodResponse(out), nil
}

// applyMethodResponsePatch applies one operation as AWS does: removing a parameter or model
// the response does not have is a 404, a path under neither map a bad path.
func applyMethodResponsePatch(mr *model.MethodResponse, p patchOp) error {
	if name, ok := mapKey(p.Path, "/responseParameters/"); ok {
		if _, has := mr.ResponseParameters[name]; p.Op == "remove" && !has {
			return notFound("Invalid parameter name specified")
		}
		_, err := patchBoolMap(p, "/responseParameters/", &mr.ResponseParameters)
		return err
	}
	if name, ok := mapKey(p.Path, "/responseModels/"); ok {
		if _, has := mr.ResponseModels[name]; p.Op == "remove" && !has {
			return notFound("Content-Type specified was not found")
		}
		_, err := patchMap(p, "/responseModels/", &mr.ResponseModels)
		return err
	}
	return badPatchPath(p.Path)
}

// methodResponseView is a MethodResponse as AWS answers it: both maps, empty when unset.
type methodResponseView struct {
	StatusCode         string            `json:"statusCode"`
	ResponseParameters map[string]bool   `json:"responseParameters"`
	ResponseModels     map[string]string `json:"responseModels"`
}

func viewMethodResponse(mr model.MethodResponse) methodResponseView {
	v := methodResponseView{StatusCode: mr.StatusCode, ResponseParameters: mr.ResponseParameters, ResponseModels: mr.ResponseModels}
	if v.ResponseParameters == nil {
		v.ResponseParameters = map[string]bool{}
	}
	if v.ResponseModels == nil {
		v.ResponseModels = map[string]string{}
	}
	return v
}

func (s *Service) deleteMethodResponse(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	_, err := mutateRESTOr(ctx, st, r.PathValue("restapi_id"), errNoResource(), func(a *model.RestAPI) error {
		res, verb, m, err := methodAt(a, r, true)
		if err != nil {
			return err
		}
		if _, err := methodResponseAt(m, r); err != nil {
			return err
		}
		delete(m.MethodResponses, r.PathValue("status_code"))
		setMethod(res, verb, *m)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
