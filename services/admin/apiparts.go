package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/model"
)

// The parts of a REST API's definition besides its resource tree: models, request
// validators, authorizers and gateway responses. They live in the API's definition (and so in
// every deployment snapshot the edges serve).

// Bounds of API parts.
const (
	maxModels      = 200
	maxValidators  = 50
	maxAuthorizers = 10
	maxSchemaLen   = 400 << 10
	maxAuthTTL     = 3600
)

var modelName = regexp.MustCompile(`^[A-Za-z0-9]{1,128}$`)

// checkSchema requires a JSON object (a JSON Schema draft-04 document).
func checkSchema(schema string) error {
	if strings.TrimSpace(schema) == "" {
		return badRequest("Model schema must have at least 1 property or array items defined")
	}
	if len(schema) > maxSchemaLen {
		return badRequest("Model schema is larger than %d bytes", maxSchemaLen)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(schema), &v); err != nil {
		return badRequest("Invalid model specified: Validation Result: the schema is not a JSON object: %v", err)
	}
	return nil
}

func findModel(a *model.RestAPI, name string) (int, error) {
	for i := range a.Models {
		if a.Models[i].Name == name {
			return i, nil
		}
	}
	return -1, errNoModel(name)
}

// errNoModel is AWS's 404 for a model, also on one of an unknown API.
func errNoModel(name string) error { return notFound("Invalid model name specified: %s", name) }

func (s *Service) createModel(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var m model.Model
	if err := decodeBody(body, &m); err != nil {
		return 0, nil, err
	}
	if m.Name == "" {
		return 0, nil, badRequest("Model name must be non-empty")
	}
	if !modelName.MatchString(m.Name) {
		return 0, nil, badRequest("Model name must be alphanumeric: %q", m.Name)
	}
	if m.ContentType == "" {
		m.ContentType = "application/json"
	}
	if len(m.Description) > maxDescLen {
		return 0, nil, badRequest("description is longer than %d characters", maxDescLen)
	}
	if err := checkSchema(m.Schema); err != nil {
		return 0, nil, err
	}
	m.ID = newID()
	_, err := mutateREST(ctx, st, r.PathValue("restapi_id"), func(a *model.RestAPI) error {
		if _, err := findModel(a, m.Name); err == nil {
			return conflict("Model name already exists for this REST API")
		}
		if len(a.Models) >= maxModels {
			return badRequest("too many models: at most %d", maxModels)
		}
		a.Models = append(a.Models, m)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, m, nil
}

func (s *Service) getModels(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadAPI(ctx, st, r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, page(r, a.Models), nil
}

func (s *Service) getModel(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadAPIOr(ctx, st, r.PathValue("restapi_id"), errNoModel(r.PathValue("model_name")))
	if err != nil {
		return 0, nil, err
	}
	i, err := findModel(a, r.PathValue("model_name"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.Models[i], nil
}

func (s *Service) updateModel(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	ops, err := decodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	var out model.Model
	_, err = mutateRESTOr(ctx, st, r.PathValue("restapi_id"), errNoModel(r.PathValue("model_name")), func(a *model.RestAPI) error {
		i, err := findModel(a, r.PathValue("model_name"))
		if err != nil {
			return err
		}
		m := &a.Models[i]
		for _, p := range ops {
			switch {
			case p.Op != "replace":
				return unsupportedPatch(p)
			case p.Path == "/schema":
				m.Schema = p.Value
			case p.Path == "/description":
				m.Description = p.Value
			default:
				return unsupportedPatch(p, "/description", "/schema")
			}
		}
		if err := checkSchema(m.Schema); err != nil {
			return err
		}
		out = *m
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

// methodsUsing lists "{path}/{METHOD}" of the methods for which used reports true.
func methodsUsing(a *model.RestAPI, used func(*model.Method) bool) []string {
	var out []string
	for _, res := range a.Resources {
		for verb, m := range res.ResourceMethods {
			if used(&m) {
				out = append(out, res.Path+"/"+verb)
			}
		}
	}
	slices.Sort(out)
	return out
}

func (s *Service) deleteModel(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	name := r.PathValue("model_name")
	_, err := mutateRESTOr(ctx, st, r.PathValue("restapi_id"), errNoModel(name), func(a *model.RestAPI) error {
		i, err := findModel(a, name)
		if err != nil {
			return err
		}
		inRequest := methodsUsing(a, func(m *model.Method) bool { return slices.Contains(slices.Collect(maps.Values(m.RequestModels)), name) })
		if len(inRequest) > 0 {
			return conflict("Cannot delete model '%s', is referenced in method request: %s", name, inRequest[0])
		}
		inResponse := methodsUsing(a, func(m *model.Method) bool {
			for _, mr := range m.MethodResponses {
				if slices.Contains(slices.Collect(maps.Values(mr.ResponseModels)), name) {
					return true
				}
			}
			return false
		})
		if len(inResponse) > 0 {
			return conflict("Cannot delete model '%s', is referenced in method response: %s", name, inResponse[0])
		}
		a.Models = slices.Delete(a.Models, i, i+1)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}

// Request validators.

func findValidator(a *model.RestAPI, id string) (int, error) {
	for i := range a.RequestValidators {
		if a.RequestValidators[i].ID == id {
			return i, nil
		}
	}
	return -1, errNoValidator()
}

// errNoValidator is AWS's 404 for a request validator, also on one of an unknown API.
func errNoValidator() error { return notFound("Invalid Request Validator identifier specified") }

func (s *Service) createRequestValidator(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var v model.RequestValidator
	if err := decodeBody(body, &v); err != nil {
		return 0, nil, err
	}
	if v.Name == "" || len(v.Name) > maxNameLen {
		return 0, nil, badRequest("name is required (at most %d characters)", maxNameLen)
	}
	v.ID = newID()
	_, err := mutateRESTOr(ctx, st, r.PathValue("restapi_id"), badRequest("Invalid REST API identifier specified"), func(a *model.RestAPI) error {
		if len(a.RequestValidators) >= maxValidators {
			return badRequest("too many request validators: at most %d", maxValidators)
		}
		for _, x := range a.RequestValidators {
			if x.Name == v.Name {
				return conflict("Another Request Validator with the same name already exists: %s", v.Name)
			}
		}
		a.RequestValidators = append(a.RequestValidators, v)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, v, nil
}

func (s *Service) getRequestValidators(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadAPI(ctx, st, r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, page(r, a.RequestValidators), nil
}

func (s *Service) getRequestValidator(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadAPIOr(ctx, st, r.PathValue("restapi_id"), errNoValidator())
	if err != nil {
		return 0, nil, err
	}
	i, err := findValidator(a, r.PathValue("requestvalidator_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.RequestValidators[i], nil
}

func (s *Service) updateRequestValidator(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	ops, err := decodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	var out model.RequestValidator
	_, err = mutateRESTOr(ctx, st, r.PathValue("restapi_id"), errNoValidator(), func(a *model.RestAPI) error {
		i, err := findValidator(a, r.PathValue("requestvalidator_id"))
		if err != nil {
			return err
		}
		v := &a.RequestValidators[i]
		if err := applyPatch(ops, func(p patchOp) error {
			if p.Op != "replace" {
				return unsupportedPatch(p)
			}
			switch p.Path {
			case "/name":
				v.Name = p.Value
			case "/validateRequestBody":
				v.ValidateRequestBody = strings.EqualFold(p.Value, "true")
			case "/validateRequestParameters":
				v.ValidateRequestParameters = strings.EqualFold(p.Value, "true")
			default:
				return unsupportedPatch(p, "/name", "/validateRequestParameters", "/validateRequestBody")
			}
			return nil
		}); err != nil {
			return err
		}
		if v.Name == "" {
			return badRequest("Request Validator name cannot be blank")
		}
		if len(v.Name) > maxNameLen {
			return badRequest("name is required (at most %d characters)", maxNameLen)
		}
		out = *v
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (s *Service) deleteRequestValidator(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	_, err := mutateRESTOr(ctx, st, r.PathValue("restapi_id"), errNoValidator(), func(a *model.RestAPI) error {
		id := r.PathValue("requestvalidator_id")
		i, err := findValidator(a, id)
		if err != nil {
			return err
		}
		if users := methodsUsing(a, func(m *model.Method) bool { return m.RequestValidatorID == id }); len(users) > 0 {
			return badRequest("Cannot delete request validator %s: used by %s", id, strings.Join(users, ", "))
		}
		a.RequestValidators = slices.Delete(a.RequestValidators, i, i+1)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}

// Authorizers.

func findAuthorizer(a *model.RestAPI, id string) (int, error) {
	for i := range a.Authorizers {
		if a.Authorizers[i].ID == id {
			return i, nil
		}
	}
	return -1, notFound("Invalid authorizer ID specified")
}

func checkAuthorizer(az *model.Authorizer) error {
	if az.Name == "" || len(az.Name) > maxNameLen {
		return badRequest("name is required (at most %d characters)", maxNameLen)
	}
	switch az.Type {
	case "TOKEN", "REQUEST":
		if az.AuthorizerURI == "" {
			return badRequest("authorizerUri is required for a %s authorizer", az.Type)
		}
	case model.AuthCognito:
	default:
		return badRequest("Invalid authorizer type %q: want TOKEN, REQUEST or COGNITO_USER_POOLS", az.Type)
	}
	if az.Type == "TOKEN" && az.IdentitySource != "" && !strings.HasPrefix(az.IdentitySource, "method.request.header.") {
		return badRequest("Invalid identity source %q: a TOKEN authorizer reads one method.request.header.{name}", az.IdentitySource)
	}
	if az.IdentityValidationExpression != "" {
		if _, err := regexp.Compile(az.IdentityValidationExpression); err != nil {
			return badRequest("Invalid identityValidationExpression: %s", az.IdentityValidationExpression)
		}
	}
	if t := az.AuthorizerResultTTLInSeconds; t != nil && (*t < 0 || *t > maxAuthTTL) {
		return badRequest("authorizerResultTtlInSeconds must be between 0 and %d", maxAuthTTL)
	}
	return nil
}

func (s *Service) createAuthorizer(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var az model.Authorizer
	if err := decodeBody(body, &az); err != nil {
		return 0, nil, err
	}
	if az.Type == "TOKEN" && az.IdentitySource == "" {
		az.IdentitySource = "method.request.header.Authorization"
	}
	if err := checkAuthorizer(&az); err != nil {
		return 0, nil, err
	}
	az.ID = newID()
	// AWS answers an unknown API here with a 409, as recorded.
	_, err := mutateRESTOr(ctx, st, r.PathValue("restapi_id"), conflict("Unable to complete operation due to concurrent modification. Please try again later."), func(a *model.RestAPI) error {
		if len(a.Authorizers) >= maxAuthorizers {
			return badRequest("too many authorizers: at most %d", maxAuthorizers)
		}
		a.Authorizers = append(a.Authorizers, az)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, az, nil
}

func (s *Service) getAuthorizers(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadAPI(ctx, st, r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, page(r, a.Authorizers), nil
}

func (s *Service) getAuthorizer(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadAPI(ctx, st, r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	i, err := findAuthorizer(a, r.PathValue("authorizer_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, a.Authorizers[i], nil
}

func (s *Service) updateAuthorizer(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	ops, err := decodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	var out model.Authorizer
	_, err = mutateREST(ctx, st, r.PathValue("restapi_id"), func(a *model.RestAPI) error {
		i, err := findAuthorizer(a, r.PathValue("authorizer_id"))
		if err != nil {
			return err
		}
		az := &a.Authorizers[i]
		if err := applyPatch(ops, func(p patchOp) error {
			switch p.Path {
			case "/name":
				return patchString(p, &az.Name)
			case "/type":
				return patchString(p, &az.Type)
			case "/authorizerUri":
				return patchString(p, &az.AuthorizerURI)
			case "/identitySource":
				return patchString(p, &az.IdentitySource)
			case "/identityValidationExpression":
				return patchString(p, &az.IdentityValidationExpression)
			case "/authorizerResultTtlInSeconds":
				n, err := strconv.Atoi(p.Value)
				if err != nil || p.Op != "replace" {
					return badRequest("Invalid value %q for patch path '%s'", p.Value, p.Path)
				}
				az.AuthorizerResultTTLInSeconds = &n
				return nil
			}
			return invalidPatchPath(p)
		}); err != nil {
			return err
		}
		if err := checkAuthorizer(az); err != nil {
			return err
		}
		out = *az
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (s *Service) deleteAuthorizer(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	_, err := mutateREST(ctx, st, r.PathValue("restapi_id"), func(a *model.RestAPI) error {
		id := r.PathValue("authorizer_id")
		i, err := findAuthorizer(a, id)
		if err != nil {
			return err
		}
		if users := methodsUsing(a, func(m *model.Method) bool { return m.AuthorizerID == id }); len(users) > 0 {
			return conflict("Cannot delete authorizer '%s', is referenced in method: %s", id, strings.Join(users, ", "))
		}
		a.Authorizers = slices.Delete(a.Authorizers, i, i+1)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}

// Gateway responses.

type gatewayResponseView struct {
	ResponseType       string            `json:"responseType"`
	StatusCode         string            `json:"statusCode,omitempty"`
	ResponseParameters map[string]string `json:"responseParameters"`
	ResponseTemplates  map[string]string `json:"responseTemplates"`
	DefaultResponse    bool              `json:"defaultResponse"`
}

// gatewayResponseTypes is AWS's GatewayResponseType enum in the order its validation error
// lists it.
const gatewayResponseTypes = "REQUEST_TOO_LARGE, RESOURCE_NOT_FOUND, AUTHORIZER_CONFIGURATION_ERROR, MISSING_AUTHENTICATION_TOKEN, " +
	"BAD_REQUEST_BODY, INVALID_SIGNATURE, INVALID_API_KEY, BAD_REQUEST_PARAMETERS, AUTHORIZER_FAILURE, UNAUTHORIZED, " +
	"INTEGRATION_TIMEOUT, ACCESS_DENIED, DEFAULT_4XX, DEFAULT_5XX, WAF_FILTERED, QUOTA_EXCEEDED, THROTTLED, " +
	"API_CONFIGURATION_ERROR, UNSUPPORTED_MEDIA_TYPE, INTEGRATION_FAILURE, EXPIRED_TOKEN"

const defaultGatewayTemplate = `{"message":$context.error.messageString}`

func viewGatewayResponse(a *model.RestAPI, t gw.Type) gatewayResponseView {
	if c, ok := a.GatewayResponses[string(t)]; ok {
		v := gatewayResponseView{ResponseType: string(t), StatusCode: c.StatusCode, ResponseParameters: c.ResponseParameters,
			ResponseTemplates: c.ResponseTemplates}
		if v.ResponseParameters == nil {
			v.ResponseParameters = map[string]string{}
		}
		if v.ResponseTemplates == nil {
			v.ResponseTemplates = map[string]string{}
		}
		return v
	}
	v := gatewayResponseView{ResponseType: string(t), DefaultResponse: true, ResponseParameters: map[string]string{},
		ResponseTemplates: map[string]string{"application/json": defaultGatewayTemplate}}
	if d := gw.Defaults[t]; d.Status != 0 {
		v.StatusCode = strconv.Itoa(d.Status)
	}
	return v
}

func gatewayResponseType(r *http.Request) (gw.Type, error) {
	t := gw.Type(r.PathValue("response_type"))
	if _, ok := gw.Defaults[t]; !ok {
		return "", &apiError{http.StatusBadRequest, "ValidationException", fmt.Sprintf("1 validation error detected: Value '%s' at "+
			"'responseType' failed to satisfy constraint: Member must satisfy enum value set: [%s]", t, gatewayResponseTypes)}
	}
	return t, nil
}

func (s *Service) getGatewayResponses(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadAPI(ctx, st, r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	types := make([]string, 0, len(gw.Defaults))
	for t := range gw.Defaults {
		types = append(types, string(t))
	}
	slices.Sort(types)
	out := make([]gatewayResponseView, 0, len(types))
	for _, t := range types {
		out = append(out, viewGatewayResponse(a, gw.Type(t)))
	}
	return http.StatusOK, page(r, out), nil
}

func (s *Service) getGatewayResponse(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	t, err := gatewayResponseType(r)
	if err != nil {
		return 0, nil, err
	}
	a, _, err := loadAPI(ctx, st, r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewGatewayResponse(a, t), nil
}

func checkGatewayResponse(g *model.GatewayResponse) error {
	if g.StatusCode != "" && !validStatusCode(g.StatusCode) {
		return badRequest("Invalid status code %q: want a 3-digit code 100-599", g.StatusCode)
	}
	if len(g.ResponseParameters) > maxParamEntries || len(g.ResponseTemplates) > maxParamEntries {
		return badRequest("too many response parameters or templates: at most %d", maxParamEntries)
	}
	for k := range g.ResponseParameters {
		if !strings.HasPrefix(k, "gatewayresponse.header.") {
			return badRequest("Invalid mapping expression specified: %s", k)
		}
	}
	for ct, t := range g.ResponseTemplates {
		if len(t) > maxTemplateLen {
			return badRequest("response template for %s is longer than %d bytes", ct, maxTemplateLen)
		}
	}
	return nil
}

func (s *Service) putGatewayResponse(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	t, err := gatewayResponseType(r)
	if err != nil {
		return 0, nil, err
	}
	var g model.GatewayResponse
	if err := decodeBody(body, &g); err != nil {
		return 0, nil, err
	}
	if err := checkGatewayResponse(&g); err != nil {
		return 0, nil, err
	}
	a, err := mutateREST(ctx, st, r.PathValue("restapi_id"), func(a *model.RestAPI) error {
		setGatewayResponse(a, t, g)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewGatewayResponse(a, t), nil
}

func setGatewayResponse(a *model.RestAPI, t gw.Type, g model.GatewayResponse) {
	next := make(map[string]model.GatewayResponse, len(a.GatewayResponses)+1)
	for k, v := range a.GatewayResponses {
		next[k] = v
	}
	next[string(t)] = g
	a.GatewayResponses = next
}

func (s *Service) updateGatewayResponse(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	t, err := gatewayResponseType(r)
	if err != nil {
		return 0, nil, err
	}
	ops, err := decodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	a, err := mutateREST(ctx, st, r.PathValue("restapi_id"), func(a *model.RestAPI) error {
		g, ok := a.GatewayResponses[string(t)]
		if !ok { // AWS starts from the default response
			d := viewGatewayResponse(a, t)
			g = model.GatewayResponse{StatusCode: d.StatusCode, ResponseTemplates: d.ResponseTemplates}
		}
		for _, p := range ops {
			switch {
			case p.Path == "":
				return badPatchPath("null")
			case p.Path == "/statusCode" && p.Op == "replace":
				g.StatusCode = p.Value
				continue
			case p.Path == "/statusCode":
				return badPatchPath(p.Path)
			}
			if ok, err := patchMap(p, "/responseParameters/", &g.ResponseParameters); ok {
				if err != nil {
					return err
				}
				continue
			}
			if ok, err := patchMap(p, "/responseTemplates/", &g.ResponseTemplates); ok {
				if err != nil {
					return err
				}
				continue
			}
			return badPatchPath(p.Path)
		}
		if err := checkGatewayResponse(&g); err != nil {
			return err
		}
		setGatewayResponse(a, t, g)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewGatewayResponse(a, t), nil
}

func (s *Service) deleteGatewayResponse(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	t, err := gatewayResponseType(r)
	if err != nil {
		return 0, nil, err
	}
	_, err = mutateREST(ctx, st, r.PathValue("restapi_id"), func(a *model.RestAPI) error {
		if _, ok := a.GatewayResponses[string(t)]; !ok {
			return notFound("Gateway response type not defined on api")
		}
		next := make(map[string]model.GatewayResponse, len(a.GatewayResponses))
		for k, v := range a.GatewayResponses {
			if k != string(t) {
				next[k] = v
			}
		}
		a.GatewayResponses = next
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusAccepted, nil, nil
}
