// Package oasimport converts an OpenAPI 3 or Swagger 2 document (JSON or YAML) with AWS's
// x-amazon-apigateway-* extensions into a model.RestAPI, as API Gateway's import-rest-api does.
package oasimport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/getkin/kin-openapi/openapi3"
	"sigs.k8s.io/yaml"

	"github.com/portico/portico/pkg/model"
)

// Bounds of an imported document.
const (
	MaxResources    = 300
	MaxPathLen      = 1024
	MaxModels       = 300
	MinTimeoutMs    = 50
	MaxTimeoutMs    = 300000
	apiKeyHeader    = "x-api-key"
	anyMethodExt    = "x-amazon-apigateway-any-method"
	integrationExt  = "x-amazon-apigateway-integration"
	validatorsExt   = "x-amazon-apigateway-request-validators"
	validatorExt    = "x-amazon-apigateway-request-validator"
	gatewayRespExt  = "x-amazon-apigateway-gateway-responses"
	apiKeySourceExt = "x-amazon-apigateway-api-key-source"
	binaryTypesExt  = "x-amazon-apigateway-binary-media-types"
	compressionExt  = "x-amazon-apigateway-minimum-compression-size"
	endpointExt     = "x-amazon-apigateway-endpoint-configuration"
	authorizerExt   = "x-amazon-apigateway-authorizer"
	authTypeExt     = "x-amazon-apigateway-authtype"
	maxAuthorizers  = 10
)

// ErrInvalid wraps every problem found in a document; its message is safe to show to the client.
var ErrInvalid = errors.New("invalid API definition")

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

// Convert parses data and returns the API it defines. newID makes resource, model and
// validator ids. The returned API has no ID and no CreatedDate: the caller sets them.
func Convert(data []byte, newID func() string) (api model.RestAPI, err error) {
	defer func() {
		// A third-party parser must not take the control plane down on a hostile document.
		if r := recover(); r != nil {
			api, err = model.RestAPI{}, invalid("document could not be parsed")
		}
	}()
	doc, err := load(data)
	if err != nil {
		return model.RestAPI{}, err
	}
	return convert(doc, newID)
}

func load(data []byte) (*openapi3.T, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil, invalid("empty document")
	}
	jsonData := data
	if data[0] != '{' {
		j, err := yaml.YAMLToJSON(data)
		if err != nil {
			return nil, invalid("document is neither JSON nor YAML: %v", err)
		}
		jsonData = j
	}
	var head struct {
		OpenAPI string `json:"openapi"`
		Swagger string `json:"swagger"`
	}
	if err := json.Unmarshal(jsonData, &head); err != nil {
		return nil, invalid("document is not a JSON object: %v", err)
	}
	var doc *openapi3.T
	switch {
	case head.Swagger == "2.0":
		var doc2 openapi2.T
		if err := json.Unmarshal(jsonData, &doc2); err != nil {
			return nil, invalid("swagger 2.0: %v", err)
		}
		d, err := openapi2conv.ToV3(&doc2)
		if err != nil {
			return nil, invalid("swagger 2.0: %v", err)
		}
		doc = d
	case strings.HasPrefix(head.OpenAPI, "3."):
		loader := openapi3.NewLoader()
		loader.IsExternalRefsAllowed = false
		d, err := loader.LoadFromData(jsonData)
		if err != nil {
			return nil, invalid("openapi: %v", err)
		}
		doc = d
	default:
		return nil, invalid(`document has neither "openapi": "3.x" nor "swagger": "2.0"`)
	}
	if doc.Info == nil || doc.Info.Title == "" {
		return nil, invalid("info.title is required")
	}
	if doc.Paths == nil {
		doc.Paths = openapi3.NewPaths()
	}
	declarePathParams(doc)
	addMissingResponses(doc)
	err := doc.Validate(context.Background(),
		openapi3.DisableExamplesValidation(),
		openapi3.DisableSchemaDefaultsValidation(),
		openapi3.DisableSchemaPatternValidation(),
		openapi3.AllowExtraSiblingFields("description"),
	)
	if err != nil {
		return nil, invalid("%v", err)
	}
	return doc, nil
}

// addMissingResponses gives an operation without "responses" an empty set: API Gateway
// imports such operations (with a warning), kin-openapi's validation refuses them.
func addMissingResponses(doc *openapi3.T) {
	for _, item := range doc.Paths.Map() {
		if item == nil {
			continue
		}
		for _, op := range item.Operations() {
			if op != nil && op.Responses.Len() == 0 {
				op.Responses = openapi3.NewResponses(openapi3.WithStatus(200, &openapi3.ResponseRef{
					Value: openapi3.NewResponse().WithDescription("200 response")}))
			}
		}
	}
}

// declarePathParams adds the path parameters a template names but an operation does not
// declare: API Gateway accepts such documents (notably "{proxy+}"), kin-openapi does not.
func declarePathParams(doc *openapi3.T) {
	for tmpl, item := range doc.Paths.Map() {
		if item == nil {
			continue
		}
		var names []string
		for _, seg := range strings.Split(tmpl, "/") {
			if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
				names = append(names, seg[1:len(seg)-1])
			}
		}
		if len(names) == 0 {
			continue
		}
		for _, op := range item.Operations() {
			if op == nil {
				continue
			}
			declared := map[string]bool{}
			for _, ps := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, p := range ps {
					if p != nil && p.Value != nil && p.Value.In == openapi3.ParameterInPath {
						declared[p.Value.Name] = true
					}
				}
			}
			for _, n := range names {
				if declared[n] {
					continue
				}
				declared[n] = true
				op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
					Name: n, In: openapi3.ParameterInPath, Required: true,
					Schema: &openapi3.SchemaRef{Value: openapi3.NewStringSchema()},
				}})
			}
		}
	}
}

// decodeExt re-decodes an extension value (already parsed by kin-openapi) into v.
func decodeExt(name string, raw any, v any) error {
	b, err := json.Marshal(raw)
	if err != nil {
		return invalid("%s: %v", name, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return invalid("%s: %v", name, err)
	}
	return nil
}

type integrationExtDoc struct {
	Type                 string            `json:"type"`
	URI                  string            `json:"uri"`
	HTTPMethod           string            `json:"httpMethod"`
	ConnectionType       string            `json:"connectionType"`
	Credentials          string            `json:"credentials"`
	RequestParameters    map[string]string `json:"requestParameters"`
	RequestTemplates     map[string]string `json:"requestTemplates"`
	PassthroughBehavior  string            `json:"passthroughBehavior"`
	ContentHandling      string            `json:"contentHandling"`
	TimeoutInMillis      *int              `json:"timeoutInMillis"`
	CacheNamespace       string            `json:"cacheNamespace"`
	CacheKeyParameters   []string          `json:"cacheKeyParameters"`
	PayloadFormatVersion string            `json:"payloadFormatVersion"`
	Responses            map[string]struct {
		StatusCode         flexString        `json:"statusCode"`
		ResponseParameters map[string]string `json:"responseParameters"`
		ResponseTemplates  map[string]string `json:"responseTemplates"`
		ContentHandling    string            `json:"contentHandling"`
	} `json:"responses"`
}

var integrationTypes = map[string]string{
	"nats_proxy": model.IntegrationNATSProxy,
	"nats":       model.IntegrationNATS,
	"http_proxy": model.IntegrationHTTPProxy,
	"http":       model.IntegrationHTTP,
	"mock":       model.IntegrationMock,
	"aws_proxy":  model.IntegrationAWSProxy,
	"aws":        model.IntegrationAWS,
}

func convertIntegration(where string, raw any) (*model.Integration, error) {
	var x integrationExtDoc
	if err := decodeExt(where+" "+integrationExt, raw, &x); err != nil {
		return nil, err
	}
	typ, ok := integrationTypes[strings.ToLower(x.Type)]
	if !ok {
		return nil, invalid("%s %s: unknown integration type %q", where, integrationExt, x.Type)
	}
	in := &model.Integration{
		Type:                 typ,
		HTTPMethod:           strings.ToUpper(x.HTTPMethod),
		URI:                  x.URI,
		ConnectionType:       x.ConnectionType,
		Credentials:          x.Credentials,
		RequestParameters:    x.RequestParameters,
		RequestTemplates:     x.RequestTemplates,
		PassthroughBehavior:  strings.ToUpper(x.PassthroughBehavior),
		ContentHandling:      x.ContentHandling,
		TimeoutInMillis:      model.DefaultTimeoutMillis,
		CacheNamespace:       x.CacheNamespace,
		CacheKeyParameters:   x.CacheKeyParameters,
		PayloadFormatVersion: x.PayloadFormatVersion,
	}
	if x.TimeoutInMillis != nil {
		t := *x.TimeoutInMillis
		if t < MinTimeoutMs || t > MaxTimeoutMs {
			return nil, invalid("%s %s: timeoutInMillis %d out of range [%d, %d]", where, integrationExt, t, MinTimeoutMs, MaxTimeoutMs)
		}
		in.TimeoutInMillis = t
	}
	if typ != model.IntegrationMock && x.URI == "" {
		return nil, invalid("%s %s: uri is required for type %s", where, integrationExt, x.Type)
	}
	if len(x.Responses) > 0 {
		in.IntegrationResponses = make(map[string]model.IntegrationResponse, len(x.Responses))
		for pattern, r := range x.Responses {
			if r.StatusCode == "" {
				return nil, invalid("%s %s: response %q has no statusCode", where, integrationExt, pattern)
			}
			ir := model.IntegrationResponse{
				StatusCode:         string(r.StatusCode),
				ResponseParameters: r.ResponseParameters,
				ResponseTemplates:  r.ResponseTemplates,
				ContentHandling:    r.ContentHandling,
			}
			if pattern != "default" {
				ir.SelectionPattern = pattern
			}
			in.IntegrationResponses[string(r.StatusCode)] = ir
		}
	}
	return in, nil
}

type converter struct {
	doc         *openapi3.T
	newID       func() string
	api         model.RestAPI
	validators  map[string]string            // name -> id
	authorizers map[string]*model.Authorizer // security scheme name -> authorizer
	byPath      map[string]int               // path -> index in api.Resources
}

func convert(doc *openapi3.T, newID func() string) (model.RestAPI, error) {
	c := &converter{doc: doc, newID: newID, validators: map[string]string{}, byPath: map[string]int{}, authorizers: map[string]*model.Authorizer{}}
	c.api = model.RestAPI{
		Name:        doc.Info.Title,
		Description: doc.Info.Description,
		Version:     doc.Info.Version,
	}
	if err := c.apiExtensions(); err != nil {
		return model.RestAPI{}, err
	}
	if err := c.models(); err != nil {
		return model.RestAPI{}, err
	}
	if err := c.authorizersFromSchemes(); err != nil {
		return model.RestAPI{}, err
	}
	c.resource("/")
	paths := doc.Paths.Map()
	names := make([]string, 0, len(paths))
	for p := range paths {
		names = append(names, p)
	}
	slices.Sort(names)
	for _, p := range names {
		if err := c.path(p, paths[p]); err != nil {
			return model.RestAPI{}, err
		}
	}
	return c.api, nil
}

func (c *converter) apiExtensions() error {
	ext := c.doc.Extensions
	if raw, ok := ext[apiKeySourceExt]; ok {
		var src string
		if err := decodeExt(apiKeySourceExt, raw, &src); err != nil {
			return err
		}
		src = strings.ToUpper(src)
		if src != "HEADER" && src != "AUTHORIZER" {
			return invalid("%s: must be HEADER or AUTHORIZER, not %q", apiKeySourceExt, src)
		}
		c.api.APIKeySource = src
	}
	if raw, ok := ext[binaryTypesExt]; ok {
		if err := decodeExt(binaryTypesExt, raw, &c.api.BinaryMediaTypes); err != nil {
			return err
		}
	}
	if raw, ok := ext[compressionExt]; ok {
		var n int
		if err := decodeExt(compressionExt, raw, &n); err != nil {
			return err
		}
		if n < 0 || n > model.MaxCompressionSize {
			return invalid("%s must be between 0 and %d", compressionExt, model.MaxCompressionSize)
		}
		c.api.MinimumCompressionSize = &n
	}
	if raw, ok := ext[endpointExt]; ok {
		// The extension names VPC endpoints only (the endpoint type comes from import's
		// endpointConfigurationTypes parameter): a PRIVATE API's.
		var e struct {
			VPCEndpointIDs []string `json:"vpcEndpointIds"`
		}
		if err := decodeExt(endpointExt, raw, &e); err != nil {
			return err
		}
		if len(e.VPCEndpointIDs) > 0 {
			c.api.EndpointConfiguration = &model.EndpointConfiguration{Types: []string{"PRIVATE"}, IPAddressType: "dualstack", VPCEndpointIDs: e.VPCEndpointIDs}
		}
	}
	if raw, ok := ext[validatorsExt]; ok {
		var vs map[string]struct {
			ValidateRequestBody       bool `json:"validateRequestBody"`
			ValidateRequestParameters bool `json:"validateRequestParameters"`
		}
		if err := decodeExt(validatorsExt, raw, &vs); err != nil {
			return err
		}
		names := make([]string, 0, len(vs))
		for n := range vs {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			id := c.newID()
			c.validators[n] = id
			c.api.RequestValidators = append(c.api.RequestValidators, model.RequestValidator{
				ID: id, Name: n,
				ValidateRequestBody:       vs[n].ValidateRequestBody,
				ValidateRequestParameters: vs[n].ValidateRequestParameters,
			})
		}
	}
	if raw, ok := ext[gatewayRespExt]; ok {
		var grs map[string]gatewayResponseDoc
		if err := decodeExt(gatewayRespExt, raw, &grs); err != nil {
			return err
		}
		c.api.GatewayResponses = make(map[string]model.GatewayResponse, len(grs))
		for typ, gr := range grs {
			c.api.GatewayResponses[typ] = model.GatewayResponse{
				StatusCode:         string(gr.StatusCode),
				ResponseParameters: gr.ResponseParameters,
				ResponseTemplates:  gr.ResponseTemplates,
			}
		}
	}
	return nil
}

func (c *converter) models() error {
	if c.doc.Components == nil {
		return nil
	}
	schemas := c.doc.Components.Schemas
	if len(schemas) > MaxModels {
		return invalid("too many models: %d > %d", len(schemas), MaxModels)
	}
	names := make([]string, 0, len(schemas))
	for n := range schemas {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		ref := schemas[n]
		if ref == nil || ref.Value == nil {
			return invalid("components.schemas.%s: empty schema", n)
		}
		b, err := json.Marshal(ref.Value)
		if err != nil {
			return invalid("components.schemas.%s: %v", n, err)
		}
		c.api.Models = append(c.api.Models, model.Model{ID: c.newID(), Name: n, ContentType: "application/json", Schema: string(b)})
	}
	return nil
}

// resource returns the index of the resource at path, creating it and its ancestors.
func (c *converter) resource(path string) int {
	if i, ok := c.byPath[path]; ok {
		return i
	}
	r := model.Resource{ID: c.newID(), Path: path}
	if path != "/" {
		cut := strings.LastIndexByte(path, '/')
		parent := path[:cut]
		if parent == "" {
			parent = "/"
		}
		r.ParentID = c.api.Resources[c.resource(parent)].ID
		r.PathPart = path[cut+1:]
	}
	c.api.Resources = append(c.api.Resources, r)
	c.byPath[path] = len(c.api.Resources) - 1
	return len(c.api.Resources) - 1
}

func validPathPart(p string) bool {
	if p == "" {
		return false
	}
	if strings.HasPrefix(p, "{") || strings.HasSuffix(p, "}") {
		inner, ok := strings.CutPrefix(p, "{")
		if !ok {
			return false
		}
		inner, ok = strings.CutSuffix(inner, "}")
		if !ok {
			return false
		}
		inner = strings.TrimSuffix(inner, "+")
		if inner == "" {
			return false
		}
		p = inner
	}
	for _, r := range p {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("-._~:@!$&'()*,;=", r):
		default:
			return false
		}
	}
	return true
}

func (c *converter) path(p string, item *openapi3.PathItem) error {
	if len(p) > MaxPathLen {
		return invalid("path longer than %d characters", MaxPathLen)
	}
	if !strings.HasPrefix(p, "/") {
		return invalid("path %q must start with /", p)
	}
	clean := strings.TrimSuffix(p, "/")
	if clean == "" {
		clean = "/"
	} else {
		parts := strings.Split(clean[1:], "/")
		for i, part := range parts {
			if !validPathPart(part) {
				return invalid("path %q: invalid segment %q", p, part)
			}
			if strings.HasSuffix(part, "+}") && i != len(parts)-1 {
				return invalid("path %q: a greedy {name+} segment must be last", p)
			}
		}
	}
	idx := c.resource(clean)
	if len(c.api.Resources) > MaxResources {
		return invalid("too many resources: more than %d", MaxResources)
	}
	ops := item.Operations()
	if raw, ok := item.Extensions[anyMethodExt]; ok {
		op := &openapi3.Operation{}
		if err := decodeExt(p+" "+anyMethodExt, raw, op); err != nil {
			return err
		}
		ops["ANY"] = op
	}
	methods := make([]string, 0, len(ops))
	for m := range ops {
		methods = append(methods, m)
	}
	slices.Sort(methods)
	for _, m := range methods {
		meth, err := c.method(strings.ToUpper(m)+" "+p, strings.ToUpper(m), item, ops[m])
		if err != nil {
			return err
		}
		r := &c.api.Resources[idx]
		if r.ResourceMethods == nil {
			r.ResourceMethods = map[string]model.Method{}
		}
		r.ResourceMethods[meth.HTTPMethod] = meth
	}
	return nil
}

func (c *converter) method(where, httpMethod string, item *openapi3.PathItem, op *openapi3.Operation) (model.Method, error) {
	m := model.Method{
		HTTPMethod:        httpMethod,
		AuthorizationType: model.AuthNone,
		OperationName:     op.OperationID,
	}
	params := append(openapi3.Parameters{}, item.Parameters...)
	params = append(params, op.Parameters...)
	for _, pr := range params {
		if pr == nil || pr.Value == nil {
			continue
		}
		loc := pr.Value.In
		switch loc {
		case "query":
			loc = "querystring"
		case "path", "header":
		default:
			continue
		}
		if m.RequestParameters == nil {
			m.RequestParameters = map[string]bool{}
		}
		m.RequestParameters["method.request."+loc+"."+strings.TrimSuffix(pr.Value.Name, "+")] = pr.Value.Required
	}
	if op.RequestBody != nil && op.RequestBody.Value != nil {
		for ct, mt := range op.RequestBody.Value.Content {
			if mt == nil || mt.Schema == nil || mt.Schema.Ref == "" {
				continue
			}
			if m.RequestModels == nil {
				m.RequestModels = map[string]string{}
			}
			m.RequestModels[ct] = refName(mt.Schema.Ref)
		}
	}
	if op.Responses != nil {
		for code, rr := range op.Responses.Map() {
			if code == "default" || rr == nil || rr.Value == nil {
				continue
			}
			mr := model.MethodResponse{StatusCode: code}
			for h := range rr.Value.Headers {
				if mr.ResponseParameters == nil {
					mr.ResponseParameters = map[string]bool{}
				}
				mr.ResponseParameters["method.response.header."+h] = false
			}
			for ct, mt := range rr.Value.Content {
				if mt == nil || mt.Schema == nil || mt.Schema.Ref == "" {
					continue
				}
				if mr.ResponseModels == nil {
					mr.ResponseModels = map[string]string{}
				}
				mr.ResponseModels[ct] = refName(mt.Schema.Ref)
			}
			if m.MethodResponses == nil {
				m.MethodResponses = map[string]model.MethodResponse{}
			}
			m.MethodResponses[code] = mr
		}
	}
	security := c.doc.Security
	if op.Security != nil {
		security = *op.Security
	}
	for _, req := range security {
		for name, scopes := range req {
			scheme := c.scheme(name)
			if scheme == nil {
				return model.Method{}, invalid("%s: security names undefined scheme %q", where, name)
			}
			if az := c.authorizers[name]; az != nil {
				m.AuthorizationType, m.AuthorizerID = model.AuthCustom, az.ID
				if az.Type == model.AuthCognito {
					m.AuthorizationType = model.AuthCognito
				}
				if len(scopes) > 0 {
					m.AuthorizationScopes = append(m.AuthorizationScopes, scopes...)
				}
				continue
			}
			if t, _ := scheme.Extensions[authTypeExt].(string); strings.EqualFold(t, "awsSigv4") {
				m.AuthorizationType = model.AuthIAM
				continue
			}
			if scheme.Type == "apiKey" && strings.EqualFold(scheme.Name, apiKeyHeader) && scheme.In == "header" {
				m.APIKeyRequired = true
				continue
			}
			if len(scopes) > 0 {
				m.AuthorizationScopes = append(m.AuthorizationScopes, scopes...)
			}
		}
	}
	v := ""
	if raw, ok := c.doc.Extensions[validatorExt]; ok {
		if err := decodeExt(validatorExt, raw, &v); err != nil {
			return model.Method{}, err
		}
	}
	if raw, ok := op.Extensions[validatorExt]; ok {
		if err := decodeExt(where+" "+validatorExt, raw, &v); err != nil {
			return model.Method{}, err
		}
	}
	if v != "" {
		id, ok := c.validators[v]
		if !ok {
			return model.Method{}, invalid("%s: %s names undefined validator %q", where, validatorExt, v)
		}
		m.RequestValidatorID = id
	}
	if raw, ok := op.Extensions[integrationExt]; ok {
		in, err := convertIntegration(where, raw)
		if err != nil {
			return model.Method{}, err
		}
		m.MethodIntegration = in
	}
	return m, nil
}

// authorizersFromSchemes turns security schemes carrying x-amazon-apigateway-authorizer into
// the API's authorizers (Lambda-style TOKEN/REQUEST authorizers are NATS subscribers here).
func (c *converter) authorizersFromSchemes() error {
	if c.doc.Components == nil {
		return nil
	}
	names := make([]string, 0, len(c.doc.Components.SecuritySchemes))
	for n, ref := range c.doc.Components.SecuritySchemes {
		if ref != nil && ref.Value != nil {
			if _, ok := ref.Value.Extensions[authorizerExt]; ok {
				names = append(names, n)
			}
		}
	}
	if len(names) > maxAuthorizers {
		return invalid("too many authorizers: %d > %d", len(names), maxAuthorizers)
	}
	slices.Sort(names)
	for _, n := range names {
		scheme := c.doc.Components.SecuritySchemes[n].Value
		var x struct {
			Type                         string      `json:"type"`
			AuthorizerURI                string      `json:"authorizerUri"`
			IdentitySource               string      `json:"identitySource"`
			IdentityValidationExpression string      `json:"identityValidationExpression"`
			AuthorizerResultTTLInSeconds *flexString `json:"authorizerResultTtlInSeconds"`
			JWTConfiguration             *struct {
				Issuer   string   `json:"issuer"`
				Audience []string `json:"audience"`
			} `json:"jwtConfiguration"`
		}
		if err := decodeExt("securitySchemes."+n+" "+authorizerExt, scheme.Extensions[authorizerExt], &x); err != nil {
			return err
		}
		az := &model.Authorizer{ID: c.newID(), Name: n, AuthorizerURI: x.AuthorizerURI,
			IdentitySource: x.IdentitySource, IdentityValidationExpression: x.IdentityValidationExpression}
		switch strings.ToLower(x.Type) {
		case "token":
			az.Type = "TOKEN"
			if az.IdentitySource == "" && scheme.In == "header" && scheme.Name != "" {
				az.IdentitySource = "method.request.header." + scheme.Name
			}
		case "request":
			az.Type = "REQUEST"
		case "cognito_user_pools":
			az.Type = model.AuthCognito
		case "jwt":
			az.Type = model.AuthJWT
			if x.JWTConfiguration == nil || x.JWTConfiguration.Issuer == "" {
				return invalid("securitySchemes.%s %s: a jwt authorizer needs jwtConfiguration.issuer", n, authorizerExt)
			}
			az.JWTConfiguration = &model.JWTConfiguration{Issuer: x.JWTConfiguration.Issuer, Audience: x.JWTConfiguration.Audience}
			if az.IdentitySource == "" {
				az.IdentitySource = "$request.header.Authorization"
			}
		default:
			return invalid("securitySchemes.%s %s: unknown authorizer type %q", n, authorizerExt, x.Type)
		}
		if (az.Type == "TOKEN" || az.Type == "REQUEST") && az.AuthorizerURI == "" {
			return invalid("securitySchemes.%s %s: authorizerUri is required", n, authorizerExt)
		}
		if x.AuthorizerResultTTLInSeconds != nil {
			ttl, err := strconv.Atoi(string(*x.AuthorizerResultTTLInSeconds))
			if err != nil || ttl < 0 || ttl > 3600 {
				return invalid("securitySchemes.%s %s: authorizerResultTtlInSeconds must be 0-3600", n, authorizerExt)
			}
			az.AuthorizerResultTTLInSeconds = &ttl
		}
		c.authorizers[n] = az
		c.api.Authorizers = append(c.api.Authorizers, *az)
	}
	return nil
}

func (c *converter) scheme(name string) *openapi3.SecurityScheme {
	if c.doc.Components == nil {
		return nil
	}
	ref := c.doc.Components.SecuritySchemes[name]
	if ref == nil {
		return nil
	}
	return ref.Value
}

func refName(ref string) string {
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		return ref[i+1:]
	}
	return ref
}

// flexString accepts a JSON string or number (YAML documents often write status codes bare).
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*f = flexString(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("want a string or a number, got %s", b)
	}
	*f = flexString(n.String())
	return nil
}

type gatewayResponseDoc struct {
	StatusCode         flexString        `json:"statusCode"`
	ResponseParameters map[string]string `json:"responseParameters"`
	ResponseTemplates  map[string]string `json:"responseTemplates"`
}
