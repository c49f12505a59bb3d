package edge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/model"
)

// modelURLPrefix is where AWS's model references point:
// https://apigateway.amazonaws.com/restapis/{api}/models/{name}.
const modelURLPrefix = "https://apigateway.amazonaws.com/restapis/"

// modelRef matches a $ref to an API model, whatever the API id written in it.
var modelRef = regexp.MustCompile(`^(?:https?://apigateway\.amazonaws\.com)?/?restapis/[^/]*/models/([^/#]+)(#.*)?$`)

// maxSchemaBytes bounds one model's schema.
const maxSchemaBytes = 1 << 20

// compileValidation reads the method's request validator: required parameters and the body
// models (JSON Schema draft-04, with $ref to the API's other models).
func (dp *dataPlane) compileValidation(api *model.RestAPI, m *model.Method) error {
	if m.RequestValidatorID == "" {
		return nil
	}
	var v *model.RequestValidator
	for i := range api.RequestValidators {
		if api.RequestValidators[i].ID == m.RequestValidatorID || api.RequestValidators[i].Name == m.RequestValidatorID {
			v = &api.RequestValidators[i]
			break
		}
	}
	if v == nil {
		return fmt.Errorf("request validator %q not found", m.RequestValidatorID)
	}
	if v.ValidateRequestParameters {
		for k, req := range m.RequestParameters {
			if !req {
				continue
			}
			rest, ok := strings.CutPrefix(k, "method.request.")
			if !ok {
				continue
			}
			source, name, ok := strings.Cut(rest, ".")
			if !ok || (source != "path" && source != "querystring" && source != "header") {
				continue
			}
			dp.required = append(dp.required, requiredParam{source: source, name: name})
		}
		// AWS lists the missing ones in the order of their method.request keys: headers,
		// then path, then query string, by name within each.
		sort.Slice(dp.required, func(i, j int) bool {
			a, b := dp.required[i], dp.required[j]
			return a.source < b.source || a.source == b.source && a.name < b.name
		})
	}
	if !v.ValidateRequestBody || len(m.RequestModels) == 0 {
		return nil
	}
	dp.validateBody = true
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft4)
	for _, md := range api.Models {
		if len(md.Schema) > maxSchemaBytes {
			return fmt.Errorf("model %s: schema over %d bytes", md.Name, maxSchemaBytes)
		}
		doc, err := jsonschema.UnmarshalJSON(strings.NewReader(md.Schema))
		if err != nil {
			return fmt.Errorf("model %s: %w", md.Name, err)
		}
		rewriteRefs(doc, doc, api, 0)
		if err := c.AddResource(modelURLPrefix+api.ID+"/models/"+md.Name, doc); err != nil {
			return fmt.Errorf("model %s: %w", md.Name, err)
		}
	}
	dp.bodySchemas = map[string]*jsonschema.Schema{}
	for ct, name := range m.RequestModels {
		if name == "Empty" && !hasModel(api, "Empty") {
			continue
		}
		sch, err := c.Compile(modelURLPrefix + api.ID + "/models/" + name)
		if err != nil {
			return fmt.Errorf("model %s: %w", name, err)
		}
		dp.bodySchemas[strings.ToLower(ct)] = sch
	}
	return nil
}

func hasModel(api *model.RestAPI, name string) bool {
	for _, m := range api.Models {
		if m.Name == name {
			return true
		}
	}
	return false
}

// rewriteRefs points every $ref to a model of the API at the URL the model is registered
// under: AWS model URLs with any API id, and OpenAPI's #/components/schemas/X or Swagger's
// #/definitions/X when X is a model (and not a local definition of this schema).
func rewriteRefs(v, root any, api *model.RestAPI, depth int) {
	if depth > 64 {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		if ref, ok := x["$ref"].(string); ok {
			if name, frag, ok := modelRefName(ref, root, api); ok {
				x["$ref"] = modelURLPrefix + api.ID + "/models/" + name + frag
			}
		}
		for _, e := range x {
			rewriteRefs(e, root, api, depth+1)
		}
	case []any:
		for _, e := range x {
			rewriteRefs(e, root, api, depth+1)
		}
	}
}

func modelRefName(ref string, root any, api *model.RestAPI) (name, frag string, ok bool) {
	if m := modelRef.FindStringSubmatch(ref); m != nil {
		return m[1], m[2], true
	}
	for _, prefix := range []string{"#/components/schemas/", "#/definitions/"} {
		n, found := strings.CutPrefix(ref, prefix)
		if !found || strings.Contains(n, "/") || !hasModel(api, n) {
			continue
		}
		if prefix == "#/definitions/" {
			if r, isMap := root.(map[string]any); isMap {
				if defs, isMap := r["definitions"].(map[string]any); isMap && defs[n] != nil {
					return "", "", false // a local definition
				}
			}
		}
		return n, "", true
	}
	return "", "", false
}

// validate runs the method's request validator; false means the response is written.
func (s *Service) validate(r *request) bool {
	dp := r.t.dataPlane
	if dp == nil || (len(dp.required) == 0 && !dp.validateBody) {
		return true
	}
	c := r.ctx
	var missing []string
	for _, p := range dp.required {
		var ok bool
		switch p.source {
		case "header":
			ok = len(c.Request.Header.Peek(p.name)) > 0
		case "querystring":
			ok = c.URI().QueryArgs().Has(p.name)
		case "path":
			for _, pp := range r.params {
				if pp.Name == p.name && pp.Value != "" {
					ok = true
				}
			}
		}
		if !ok {
			missing = append(missing, p.name)
		}
	}
	if len(missing) > 0 {
		msg := "Missing required request parameters: [" + strings.Join(missing, ", ") + "]"
		r.validationError = msg
		s.gatewayError(r, gw.BadRequestParameters, msg)
		return false
	}
	if !dp.validateBody {
		return true
	}
	ct := string(c.Request.Header.ContentType())
	if ct == "" {
		ct = "application/json"
	}
	sch, ok := dp.bodySchemas[mediaType(ct)]
	if !ok {
		return true
	}
	body := c.Request.Body()
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err == nil && !json.Valid(body) {
		err = fmt.Errorf("invalid JSON")
	}
	if err == nil {
		err = sch.Validate(doc)
	}
	if err != nil {
		r.validationError = "[" + strings.Join(strings.Fields(err.Error()), " ") + "]"
		s.gatewayError(r, gw.BadRequestBody, "Invalid request body")
		return false
	}
	return true
}

// mediaType is a Content-Type without parameters, in lower case.
func mediaType(ct string) string {
	ct, _, _ = strings.Cut(strings.ToLower(ct), ";")
	return strings.TrimSpace(ct)
}
