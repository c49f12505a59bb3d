// Package oasexport renders a deployed model.RestAPI as an OpenAPI 3.0 or Swagger 2.0 document,
// as API Gateway's get-export does, optionally with the x-amazon-apigateway-* extensions so
// that the export imports back into the same API.
package oasexport

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/portico/portico/pkg/model"
)

// Export types, as AWS names them.
const (
	TypeOAS30   = "oas30"
	TypeSwagger = "swagger"
)

const (
	apiKeyScheme = "api_key"
	sigv4Scheme  = "sigv4"
)

func authorizerScheme(a *model.Authorizer) map[string]any {
	x := map[string]any{"type": strings.ToLower(a.Type)}
	if a.AuthorizerURI != "" {
		x["authorizerUri"] = a.AuthorizerURI
	}
	if a.IdentitySource != "" {
		x["identitySource"] = a.IdentitySource
	}
	if a.IdentityValidationExpression != "" {
		x["identityValidationExpression"] = a.IdentityValidationExpression
	}
	if a.AuthorizerResultTTLInSeconds != nil {
		x["authorizerResultTtlInSeconds"] = *a.AuthorizerResultTTLInSeconds
	}
	header := "Authorization"
	if h, ok := strings.CutPrefix(a.IdentitySource, "method.request.header."); ok && !strings.Contains(h, ",") {
		header = h
	}
	return map[string]any{
		"type": "apiKey", "name": header, "in": "header",
		"x-amazon-apigateway-authtype":   "custom",
		"x-amazon-apigateway-authorizer": x,
	}
}

// Export returns the document of api deployed at stage. withExtensions adds the integrations,
// validators, gateway responses and other x-amazon-apigateway-* extensions.
func Export(api *model.RestAPI, stage, typ string, withExtensions bool) (map[string]any, error) {
	if typ != TypeOAS30 && typ != TypeSwagger {
		return nil, fmt.Errorf("unknown export type %q: want %s or %s", typ, TypeOAS30, TypeSwagger)
	}
	oas3 := typ == TypeOAS30
	doc := map[string]any{
		"info": map[string]any{"title": api.Name, "version": versionOf(api), "description": api.Description},
	}
	if api.Description == "" {
		delete(doc["info"].(map[string]any), "description")
	}
	if oas3 {
		doc["openapi"] = "3.0.1"
		doc["servers"] = []any{map[string]any{"url": "/" + stage}}
	} else {
		doc["swagger"] = "2.0"
		doc["basePath"] = "/" + stage
	}
	validators := map[string]string{} // id -> name
	for _, v := range api.RequestValidators {
		validators[v.ID] = v.Name
	}
	authorizers := map[string]string{} // id -> name
	for _, a := range api.Authorizers {
		authorizers[a.ID] = a.Name
	}
	paths := map[string]any{}
	needKey, needIAM := false, false
	for _, r := range api.Resources {
		if len(r.ResourceMethods) == 0 {
			continue
		}
		item := map[string]any{}
		for verb, m := range r.ResourceMethods {
			op := operation(&m, r.Path, oas3, withExtensions, validators)
			if m.APIKeyRequired {
				needKey = true
			}
			var sec []any
			if m.APIKeyRequired {
				sec = append(sec, map[string]any{apiKeyScheme: []any{}})
			}
			if name, ok := authorizers[m.AuthorizerID]; ok && withExtensions {
				scopes := []any{}
				for _, sc := range m.AuthorizationScopes {
					scopes = append(scopes, sc)
				}
				sec = append(sec, map[string]any{name: scopes})
			}
			if m.AuthorizationType == model.AuthIAM && withExtensions {
				needIAM = true
				sec = append(sec, map[string]any{sigv4Scheme: []any{}})
			}
			if len(sec) > 0 {
				op["security"] = sec
			}
			if verb == "ANY" {
				if withExtensions {
					item["x-amazon-apigateway-any-method"] = op
				}
				continue
			}
			item[strings.ToLower(verb)] = op
		}
		if len(item) > 0 {
			paths[r.Path] = item
		}
	}
	doc["paths"] = paths
	schemes := map[string]any{}
	if needKey {
		schemes[apiKeyScheme] = map[string]any{"type": "apiKey", "name": "x-api-key", "in": "header"}
	}
	if withExtensions {
		if needIAM {
			schemes[sigv4Scheme] = map[string]any{"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"}
		}
		for _, a := range api.Authorizers {
			schemes[a.Name] = authorizerScheme(&a)
		}
	}
	models := map[string]any{}
	for _, m := range api.Models {
		var schema any = map[string]any{}
		if m.Schema != "" {
			if err := json.Unmarshal([]byte(m.Schema), &schema); err != nil {
				return nil, fmt.Errorf("model %s: %w", m.Name, err)
			}
		}
		models[m.Name] = rewriteRefs(schema, oas3)
	}
	if oas3 {
		comps := map[string]any{}
		if len(models) > 0 {
			comps["schemas"] = models
		}
		if len(schemes) > 0 {
			comps["securitySchemes"] = schemes
		}
		if len(comps) > 0 {
			doc["components"] = comps
		}
	} else {
		if len(models) > 0 {
			doc["definitions"] = models
		}
		if len(schemes) > 0 {
			doc["securityDefinitions"] = schemes
		}
	}
	if withExtensions {
		apiExtensions(doc, api)
	}
	return doc, nil
}

func versionOf(api *model.RestAPI) string {
	if api.Version != "" {
		return api.Version
	}
	return api.CreatedDate.UTC().Format("2006-01-02T15:04:05Z")
}

func refTo(name string, oas3 bool) string {
	if oas3 {
		return "#/components/schemas/" + name
	}
	return "#/definitions/" + name
}

// rewriteRefs points schema $refs at the export's own model location.
func rewriteRefs(v any, oas3 bool) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && k == "$ref" {
				if i := strings.LastIndexByte(s, '/'); i >= 0 {
					x[k] = refTo(s[i+1:], oas3)
				}
				continue
			}
			x[k] = rewriteRefs(val, oas3)
		}
	case []any:
		for i := range x {
			x[i] = rewriteRefs(x[i], oas3)
		}
	}
	return v
}

func operation(m *model.Method, path string, oas3, withExt bool, validators map[string]string) map[string]any {
	op := map[string]any{}
	if m.OperationName != "" {
		op["operationId"] = m.OperationName
	}
	var params []any
	names := make([]string, 0, len(m.RequestParameters))
	for k := range m.RequestParameters {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		rest, ok := strings.CutPrefix(k, "method.request.")
		if !ok {
			continue
		}
		loc, name, ok := strings.Cut(rest, ".")
		if !ok {
			continue
		}
		if loc == "querystring" {
			loc = "query"
		}
		if loc == "path" && strings.Contains(path, "{"+name+"+}") {
			name += "+"
		}
		p := map[string]any{"name": name, "in": loc, "required": m.RequestParameters[k] || loc == "path"}
		if oas3 {
			p["schema"] = map[string]any{"type": "string"}
		} else {
			p["type"] = "string"
		}
		params = append(params, p)
	}
	for ct, model := range m.RequestModels {
		if oas3 {
			op["requestBody"] = map[string]any{"content": map[string]any{ct: map[string]any{"schema": map[string]any{"$ref": refTo(model, true)}}}}
		} else {
			params = append(params, map[string]any{"in": "body", "name": model, "required": true, "schema": map[string]any{"$ref": refTo(model, false)}})
		}
		break // one body schema: OpenAPI has one request body per operation
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	responses := map[string]any{}
	for code, mr := range m.MethodResponses {
		resp := map[string]any{"description": code + " response"}
		if len(mr.ResponseParameters) > 0 {
			headers := map[string]any{}
			for p := range mr.ResponseParameters {
				if h, ok := strings.CutPrefix(p, "method.response.header."); ok {
					if oas3 {
						headers[h] = map[string]any{"schema": map[string]any{"type": "string"}}
					} else {
						headers[h] = map[string]any{"type": "string"}
					}
				}
			}
			resp["headers"] = headers
		}
		for ct, model := range mr.ResponseModels {
			if oas3 {
				resp["content"] = map[string]any{ct: map[string]any{"schema": map[string]any{"$ref": refTo(model, true)}}}
			} else {
				resp["schema"] = map[string]any{"$ref": refTo(model, false)}
			}
			break
		}
		responses[code] = resp
	}
	if len(responses) == 0 {
		responses["200"] = map[string]any{"description": "200 response"}
	}
	op["responses"] = responses
	if withExt {
		if name, ok := validators[m.RequestValidatorID]; ok {
			op["x-amazon-apigateway-request-validator"] = name
		}
		if m.MethodIntegration != nil {
			op["x-amazon-apigateway-integration"] = integration(m.MethodIntegration)
		}
	}
	return op
}

func integration(in *model.Integration) map[string]any {
	x := map[string]any{"type": strings.ToLower(in.Type)}
	set := func(k, v string) {
		if v != "" {
			x[k] = v
		}
	}
	set("uri", in.URI)
	set("httpMethod", in.HTTPMethod)
	set("connectionType", in.ConnectionType)
	set("credentials", in.Credentials)
	set("passthroughBehavior", strings.ToLower(in.PassthroughBehavior))
	set("contentHandling", in.ContentHandling)
	set("cacheNamespace", in.CacheNamespace)
	set("payloadFormatVersion", in.PayloadFormatVersion)
	if in.TimeoutInMillis > 0 {
		x["timeoutInMillis"] = in.TimeoutInMillis
	}
	if len(in.RequestParameters) > 0 {
		x["requestParameters"] = in.RequestParameters
	}
	if len(in.RequestTemplates) > 0 {
		x["requestTemplates"] = in.RequestTemplates
	}
	if len(in.CacheKeyParameters) > 0 {
		x["cacheKeyParameters"] = in.CacheKeyParameters
	}
	if len(in.IntegrationResponses) > 0 {
		rs := map[string]any{}
		for _, ir := range in.IntegrationResponses {
			r := map[string]any{"statusCode": ir.StatusCode}
			if len(ir.ResponseParameters) > 0 {
				r["responseParameters"] = ir.ResponseParameters
			}
			if len(ir.ResponseTemplates) > 0 {
				r["responseTemplates"] = ir.ResponseTemplates
			}
			if ir.ContentHandling != "" {
				r["contentHandling"] = ir.ContentHandling
			}
			pattern := ir.SelectionPattern
			if pattern == "" {
				pattern = "default"
			}
			rs[pattern] = r
		}
		x["responses"] = rs
	}
	return x
}

func apiExtensions(doc map[string]any, api *model.RestAPI) {
	if api.APIKeySource != "" {
		doc["x-amazon-apigateway-api-key-source"] = api.APIKeySource
	}
	if len(api.BinaryMediaTypes) > 0 {
		doc["x-amazon-apigateway-binary-media-types"] = api.BinaryMediaTypes
	}
	if api.MinimumCompressionSize != nil {
		doc["x-amazon-apigateway-minimum-compression-size"] = *api.MinimumCompressionSize
	}
	if e := api.EndpointConfiguration; e != nil && len(e.VPCEndpointIDs) > 0 {
		doc["x-amazon-apigateway-endpoint-configuration"] = map[string]any{"vpcEndpointIds": e.VPCEndpointIDs}
	}
	if len(api.RequestValidators) > 0 {
		vs := map[string]any{}
		for _, v := range api.RequestValidators {
			vs[v.Name] = map[string]any{"validateRequestBody": v.ValidateRequestBody, "validateRequestParameters": v.ValidateRequestParameters}
		}
		doc["x-amazon-apigateway-request-validators"] = vs
	}
	if len(api.GatewayResponses) > 0 {
		doc["x-amazon-apigateway-gateway-responses"] = api.GatewayResponses
	}
}
