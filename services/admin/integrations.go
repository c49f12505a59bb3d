package admin

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/portico/portico/pkg/model"
)

// REST integrations and integration responses (apigateway PutIntegration and friends).

// restIntegrationTypes are the types a REST method's integration may have; NATS_PROXY and
// NATS are Portico's own.
var restIntegrationTypes = map[string]bool{
	model.IntegrationNATSProxy: true, model.IntegrationNATS: true, model.IntegrationHTTPProxy: true,
	model.IntegrationHTTP: true, model.IntegrationMock: true, model.IntegrationAWSProxy: true, model.IntegrationAWS: true,
}

var passthroughBehaviors = map[string]bool{"": true, "WHEN_NO_MATCH": true, "WHEN_NO_TEMPLATES": true, "NEVER": true}

var contentHandlings = map[string]bool{"": true, "CONVERT_TO_BINARY": true, "CONVERT_TO_TEXT": true}

// checkIntegration validates an integration as AWS does, naming the first problem.
func checkIntegration(in *model.Integration) error {
	if !restIntegrationTypes[in.Type] {
		return badRequest("Invalid integration type %q", in.Type)
	}
	if in.Type != model.IntegrationMock && in.URI == "" {
		return badRequest("Enumeration value for integration uri is required for type %s", in.Type)
	}
	if (in.Type == model.IntegrationHTTP || in.Type == model.IntegrationHTTPProxy) && !strings.HasPrefix(in.URI, "http://") && !strings.HasPrefix(in.URI, "https://") {
		return badRequest("Invalid HTTP endpoint specified for URI")
	}
	if (in.Type == model.IntegrationHTTP || in.Type == model.IntegrationHTTPProxy || in.Type == model.IntegrationAWS || in.Type == model.IntegrationAWSProxy) && in.HTTPMethod == "" {
		return badRequest("Enumeration value for HttpMethod must be non-empty")
	}
	if in.HTTPMethod != "" && !restMethods[in.HTTPMethod] {
		return badRequest("Invalid integration HTTP method %q", in.HTTPMethod)
	}
	if in.TimeoutInMillis != 0 && (in.TimeoutInMillis < 50 || in.TimeoutInMillis > model.DefaultTimeoutMillis) {
		return badRequest("Timeout should be between 50 ms and %d ms", model.DefaultTimeoutMillis)
	}
	if !passthroughBehaviors[in.PassthroughBehavior] {
		return badRequest("Invalid passthroughBehavior %q", in.PassthroughBehavior)
	}
	if !contentHandlings[in.ContentHandling] {
		return badRequest("Invalid contentHandling %q", in.ContentHandling)
	}
	if len(in.RequestParameters) > maxParamEntries || len(in.RequestTemplates) > maxParamEntries {
		return badRequest("too many request parameters or templates: at most %d", maxParamEntries)
	}
	for ct, t := range in.RequestTemplates {
		if len(t) > maxTemplateLen {
			return badRequest("request template for %s is longer than %d bytes", ct, maxTemplateLen)
		}
	}
	return nil
}

func (s *Service) putIntegration(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		Type                string            `json:"type"`
		HTTPMethod          string            `json:"httpMethod"`
		URI                 string            `json:"uri"`
		ConnectionType      string            `json:"connectionType"`
		Credentials         string            `json:"credentials"`
		RequestParameters   map[string]string `json:"requestParameters"`
		RequestTemplates    map[string]string `json:"requestTemplates"`
		PassthroughBehavior string            `json:"passthroughBehavior"`
		ContentHandling     string            `json:"contentHandling"`
		TimeoutInMillis     int               `json:"timeoutInMillis"`
		CacheNamespace      string            `json:"cacheNamespace"`
		CacheKeyParameters  []string          `json:"cacheKeyParameters"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	integ := model.Integration{
		Type: strings.ToUpper(in.Type), HTTPMethod: strings.ToUpper(in.HTTPMethod), URI: in.URI, ConnectionType: in.ConnectionType,
		Credentials: in.Credentials, RequestParameters: in.RequestParameters, RequestTemplates: in.RequestTemplates,
		PassthroughBehavior: in.PassthroughBehavior, ContentHandling: in.ContentHandling, TimeoutInMillis: in.TimeoutInMillis,
		CacheNamespace: in.CacheNamespace, CacheKeyParameters: in.CacheKeyParameters,
	}
	if !restIntegrationTypes[integ.Type] {
		return 0, nil, validationError(fmt.Sprintf("Value '%s' at 'putIntegrationInput.type' failed to satisfy constraint: "+
			"Member must satisfy enum value set: [HTTP, MOCK, AWS_PROXY, HTTP_PROXY, AWS]", in.Type))
	}
	if err := checkIntegration(&integ); err != nil {
		return 0, nil, err
	}
	if integ.PassthroughBehavior == "" {
		integ.PassthroughBehavior = "WHEN_NO_MATCH"
	}
	if integ.TimeoutInMillis == 0 {
		integ.TimeoutInMillis = model.DefaultTimeoutMillis
	}
	_, err := mutateRESTOr(ctx, st, r.PathValue("restapi_id"), errNoResource(), func(a *model.RestAPI) error {
		res, verb, m, err := methodAt(a, r, true)
		if err != nil {
			return err
		}
		if integ.CacheNamespace == "" {
			integ.CacheNamespace = res.ID
		}
		m.MethodIntegration = &integ
		setMethod(res, verb, *m)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, integ, nil
}

func errNoIntegration() error { return notFound("Invalid Integration identifier specified") }

// errBadStatusCode is AWS's answer to a status code outside [1-5]\d\d in a path.
func errBadStatusCode(code string) error {
	return validationError(statusCodeViolation(code))
}

func statusCodeViolation(code string) string {
	return fmt.Sprintf(`Value '%s' at 'statusCode' failed to satisfy constraint: Member must satisfy regular expression pattern: [1-5]\d\d`, code)
}

// loadMethodOf is loadMethod answering a missing REST API as AWS does on its methods'
// parts: as a missing resource.
func (s *Service) loadMethodOf(ctx context.Context, st *store, r *http.Request) (*model.Method, error) {
	if _, _, err := loadAPIOr(ctx, st, r.PathValue("restapi_id"), errNoResource()); err != nil {
		return nil, err
	}
	return s.loadMethod(ctx, st, r)
}

// getMethodIntegration is GetIntegration.
func (s *Service) getMethodIntegration(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	m, err := s.loadMethodOf(ctx, st, r)
	if err != nil {
		return 0, nil, err
	}
	if m.MethodIntegration == nil {
		return 0, nil, errNoIntegration()
	}
	return http.StatusOK, m.MethodIntegration, nil
}

func integrationAt(a *model.RestAPI, r *http.Request) (*model.Resource, string, *model.Method, error) {
	res, verb, m, err := methodAt(a, r, true)
	if err != nil {
		return nil, "", nil, err
	}
	if m.MethodIntegration == nil {
		return nil, "", nil, errNoIntegration()
	}
	return res, verb, m, nil
}

func (s *Service) updateIntegration(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	ops, err := decodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	var out model.Integration
	_, err = mutateRESTOr(ctx, st, r.PathValue("restapi_id"), errNoResource(), func(a *model.RestAPI) error {
		res, verb, m, err := integrationAt(a, r)
		if err != nil {
			return err
		}
		integ := *m.MethodIntegration
		if err := applyPatch(ops, func(p patchOp) error { return applyIntegrationPatch(&integ, p) }); err != nil {
			return err
		}
		if err := checkIntegration(&integ); err != nil {
			return err
		}
		m.MethodIntegration = &integ
		setMethod(res, verb, *m)
		out = integ
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func applyIntegrationPatch(in *model.Integration, p patchOp) error {
	switch p.Path {
	case "/type":
		err := patchString(p, &in.Type)
		in.Type = strings.ToUpper(in.Type)
		return err
	case "/uri":
		return patchString(p, &in.URI)
	case "/httpMethod":
		err := patchString(p, &in.HTTPMethod)
		in.HTTPMethod = strings.ToUpper(in.HTTPMethod)
		return err
	case "/connectionType":
		return patchString(p, &in.ConnectionType)
	case "/credentials":
		return patchString(p, &in.Credentials)
	case "/passthroughBehavior":
		return patchString(p, &in.PassthroughBehavior)
	case "/contentHandling":
		return patchString(p, &in.ContentHandling)
	case "/cacheNamespace":
		return patchString(p, &in.CacheNamespace)
	case "/timeoutInMillis":
		if p.Op != "replace" {
			return invalidPatchPath(p)
		}
		n, err := strconv.Atoi(p.Value)
		if err != nil {
			return badRequest("Invalid value %q for patch path '%s'", p.Value, p.Path)
		}
		in.TimeoutInMillis = n
		return nil
	}
	if ok, err := patchMap(p, "/requestTemplates/", &in.RequestTemplates); ok {
		return err
	}
	if ok, err := patchMap(p, "/requestParameters/", &in.RequestParameters); ok {
		return err
	}
	return invalidPatchPath(p)
}

func (s *Service) deleteIntegration(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	_, err := mutateRESTOr(ctx, st, r.PathValue("restapi_id"), errNoResource(), func(a *model.RestAPI) error {
		res, verb, m, err := integrationAt(a, r)
		if err != nil {
			return err
		}
		m.MethodIntegration = nil
		setMethod(res, verb, *m)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

func checkIntegrationResponse(ir *model.IntegrationResponse) error {
	if len(ir.SelectionPattern) > 1024 {
		return badRequest("selectionPattern is longer than 1024 characters")
	}
	if ir.SelectionPattern != "" {
		if _, err := regexp.Compile(ir.SelectionPattern); err != nil {
			return badRequest("Invalid selection pattern specified: %s", ir.SelectionPattern)
		}
	}
	if !contentHandlings[ir.ContentHandling] {
		return badRequest("Invalid contentHandling %q", ir.ContentHandling)
	}
	if len(ir.ResponseParameters) > maxParamEntries || len(ir.ResponseTemplates) > maxParamEntries {
		return badRequest("too many response parameters or templates: at most %d", maxParamEntries)
	}
	for k := range ir.ResponseParameters {
		if !strings.HasPrefix(k, "method.response.header.") {
			return badRequest("Invalid mapping expression specified: %s", k)
		}
	}
	for ct, t := range ir.ResponseTemplates {
		if len(t) > maxTemplateLen {
			return badRequest("response template for %s is longer than %d bytes", ct, maxTemplateLen)
		}
	}
	return nil
}

func (s *Service) putIntegrationResponse(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		SelectionPattern   string            `json:"selectionPattern"`
		ResponseParameters map[string]string `json:"responseParameters"`
		ResponseTemplates  map[string]string `json:"responseTemplates"`
		ContentHandling    string            `json:"contentHandling"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	code := r.PathValue("status_code")
	if !validStatusCode(code) {
		return 0, nil, errBadStatusCode(code)
	}
	ir := model.IntegrationResponse{StatusCode: code, SelectionPattern: in.SelectionPattern, ResponseParameters: in.ResponseParameters,
		ResponseTemplates: in.ResponseTemplates, ContentHandling: in.ContentHandling}
	if err := checkIntegrationResponse(&ir); err != nil {
		return 0, nil, err
	}
	_, err := mutateRESTOr(ctx, st, r.PathValue("restapi_id"), errNoResource(), func(a *model.RestAPI) error {
		res, verb, m, err := integrationAt(a, r)
		if err != nil {
			return err
		}
		if irs := m.MethodIntegration.IntegrationResponses; len(irs) >= maxResponses {
			if _, exists := irs[code]; !exists {
				return badRequest("too many integration responses: at most %d", maxResponses)
			}
		}
		setIntegrationResponses(res, verb, m, func(irs map[string]model.IntegrationResponse) { irs[code] = ir })
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, ir, nil
}

// setIntegrationResponses writes the method back with a copy of its integration whose
// responses edit has changed (the read definition is never changed in place).
func setIntegrationResponses(res *model.Resource, verb string, m *model.Method, edit func(map[string]model.IntegrationResponse)) {
	integ := *m.MethodIntegration
	next := make(map[string]model.IntegrationResponse, len(integ.IntegrationResponses)+1)
	for k, v := range integ.IntegrationResponses {
		next[k] = v
	}
	edit(next)
	integ.IntegrationResponses = next
	m.MethodIntegration = &integ
	setMethod(res, verb, *m)
}

func integrationResponseAt(m *model.Method, r *http.Request) (model.IntegrationResponse, error) {
	if m.MethodIntegration == nil {
		return model.IntegrationResponse{}, errNoIntegration()
	}
	ir, ok := m.MethodIntegration.IntegrationResponses[r.PathValue("status_code")]
	if !ok {
		return model.IntegrationResponse{}, notFound("Invalid Response status code specified")
	}
	return ir, nil
}

func (s *Service) getIntegrationResponse(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	if code := r.PathValue("status_code"); !validStatusCode(code) {
		return 0, nil, errBadStatusCode(code)
	}
	m, err := s.loadMethodOf(ctx, st, r)
	if err != nil {
		return 0, nil, err
	}
	ir, err := integrationResponseAt(m, r)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, ir, nil
}

func (s *Service) updateIntegrationResponse(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	ops, err := decodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	var out model.IntegrationResponse
	_, err = mutateRESTOr(ctx, st, r.PathValue("restapi_id"), errNoResource(), func(a *model.RestAPI) error {
		res, verb, m, err := integrationAt(a, r)
		if err != nil {
			return err
		}
		ir, err := integrationResponseAt(m, r)
		if err != nil {
			return err
		}
		if err := applyPatch(ops, func(p patchOp) error { return applyIntegrationResponsePatch(&ir, p) }); err != nil {
			return err
		}
		if err := checkIntegrationResponse(&ir); err != nil {
			return err
		}
		setIntegrationResponses(res, verb, m, func(irs map[string]model.IntegrationResponse) { irs[ir.StatusCode] = ir })
		out = ir
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func applyIntegrationResponsePatch(ir *model.IntegrationResponse, p patchOp) error {
	switch p.Path {
	case "/selectionPattern":
		return patchString(p, &ir.SelectionPattern)
	case "/contentHandling":
		return patchString(p, &ir.ContentHandling)
	}
	if ok, err := patchMap(p, "/responseTemplates/", &ir.ResponseTemplates); ok {
		return err
	}
	if ok, err := patchMap(p, "/responseParameters/", &ir.ResponseParameters); ok {
		return err
	}
	return invalidPatchPath(p)
}

// deleteIntegrationResponse answers a missing method as a missing integration, as AWS does.
func (s *Service) deleteIntegrationResponse(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	_, err := mutateRESTOr(ctx, st, r.PathValue("restapi_id"), errNoResource(), func(a *model.RestAPI) error {
		res, verb, m, err := methodAt(a, r, false)
		if err != nil {
			return err
		}
		if m == nil || m.MethodIntegration == nil {
			return errNoIntegration()
		}
		if _, err := integrationResponseAt(m, r); err != nil {
			return err
		}
		setIntegrationResponses(res, verb, m, func(irs map[string]model.IntegrationResponse) { delete(irs, r.PathValue("status_code")) })
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
