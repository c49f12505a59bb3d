package admin

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/portico/portico/pkg/model"
)

// apigatewayv2 authorizers and models. Authorizers live in the API's definition (and so in
// deployment snapshots); an authorizer's identitySource list is stored joined by ",".

type v2AuthorizerView struct {
	AuthorizerID                   string                  `json:"authorizerId"`
	Name                           string                  `json:"name"`
	AuthorizerType                 string                  `json:"authorizerType"`
	AuthorizerURI                  string                  `json:"authorizerUri,omitempty"`
	IdentitySource                 []string                `json:"identitySource,omitempty"`
	IdentityValidationExpression   string                  `json:"identityValidationExpression,omitempty"`
	JWTConfiguration               *model.JWTConfiguration `json:"jwtConfiguration,omitempty"`
	AuthorizerPayloadFormatVersion string                  `json:"authorizerPayloadFormatVersion,omitempty"`
	EnableSimpleResponses          bool                    `json:"enableSimpleResponses"`
	AuthorizerResultTTLInSeconds   *int                    `json:"authorizerResultTtlInSeconds,omitempty"`
}

func splitSources(s string) []string {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, ",")
	for i := range parts {
		parts[i] = strings.TrimSpace(parts[i])
	}
	return parts
}

func viewV2Authorizer(az *model.Authorizer) v2AuthorizerView {
	return v2AuthorizerView{
		AuthorizerID: az.ID, Name: az.Name, AuthorizerType: az.Type, AuthorizerURI: az.AuthorizerURI,
		IdentitySource: splitSources(az.IdentitySource), IdentityValidationExpression: az.IdentityValidationExpression,
		JWTConfiguration: az.JWTConfiguration, AuthorizerPayloadFormatVersion: az.AuthorizerPayloadFormatVersion,
		EnableSimpleResponses: az.EnableSimpleResponses, AuthorizerResultTTLInSeconds: az.AuthorizerResultTTLInSeconds,
	}
}

type v2AuthorizerInput struct {
	Name                           *string                 `json:"name"`
	AuthorizerType                 *string                 `json:"authorizerType"`
	AuthorizerURI                  *string                 `json:"authorizerUri"`
	IdentitySource                 []string                `json:"identitySource"`
	IdentityValidationExpression   *string                 `json:"identityValidationExpression"`
	JWTConfiguration               *model.JWTConfiguration `json:"jwtConfiguration"`
	AuthorizerPayloadFormatVersion *string                 `json:"authorizerPayloadFormatVersion"`
	EnableSimpleResponses          *bool                   `json:"enableSimpleResponses"`
	AuthorizerResultTTLInSeconds   *int                    `json:"authorizerResultTtlInSeconds"`
}

func (in *v2AuthorizerInput) apply(az *model.Authorizer) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&az.Name, in.Name)
	set(&az.Type, in.AuthorizerType)
	set(&az.AuthorizerURI, in.AuthorizerURI)
	set(&az.IdentityValidationExpression, in.IdentityValidationExpression)
	set(&az.AuthorizerPayloadFormatVersion, in.AuthorizerPayloadFormatVersion)
	if in.IdentitySource != nil {
		az.IdentitySource = strings.Join(in.IdentitySource, ",")
	}
	if in.JWTConfiguration != nil {
		az.JWTConfiguration = in.JWTConfiguration
	}
	if in.EnableSimpleResponses != nil {
		az.EnableSimpleResponses = *in.EnableSimpleResponses
	}
	if in.AuthorizerResultTTLInSeconds != nil {
		az.AuthorizerResultTTLInSeconds = in.AuthorizerResultTTLInSeconds
	}
}

func checkV2Authorizer(protocol string, az *model.Authorizer) error {
	if az.Name == "" || len(az.Name) > 128 {
		return badRequest("name is required (at most 128 characters)")
	}
	switch az.Type {
	case "JWT":
		if protocol != model.ProtocolHTTP {
			return badRequest("JWT authorizers are only supported for HTTP APIs")
		}
		if az.JWTConfiguration == nil || az.JWTConfiguration.Issuer == "" {
			return badRequest("A JWT authorizer needs jwtConfiguration.issuer")
		}
		if len(splitSources(az.IdentitySource)) != 1 {
			return badRequest("A JWT authorizer needs exactly one identitySource")
		}
	case "REQUEST":
		if az.AuthorizerURI == "" {
			return badRequest("authorizerUri is required for a REQUEST authorizer")
		}
		if protocol == model.ProtocolHTTP {
			switch az.AuthorizerPayloadFormatVersion {
			case "1.0", "2.0":
			default:
				return badRequest("authorizerPayloadFormatVersion must be 1.0 or 2.0 for an HTTP API REQUEST authorizer")
			}
		}
		if az.EnableSimpleResponses && az.AuthorizerPayloadFormatVersion != "2.0" {
			return badRequest("enableSimpleResponses needs authorizerPayloadFormatVersion 2.0")
		}
	default:
		return badRequest("Invalid authorizerType %q: want REQUEST or JWT", az.Type)
	}
	for _, src := range splitSources(az.IdentitySource) {
		if !strings.HasPrefix(src, "$") && !strings.HasPrefix(src, "route.request.") {
			return badRequest("Invalid identity source %q", src)
		}
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

func (s *Service) createV2Authorizer(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in v2AuthorizerInput
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	az := model.Authorizer{ID: newID()}
	in.apply(&az)
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		if err := checkV2Authorizer(a.Protocol, &az); err != nil {
			return err
		}
		if len(a.Authorizers) >= maxAuthorizers {
			return badRequest("too many authorizers: at most %d", maxAuthorizers)
		}
		a.Authorizers = append(a.Authorizers, az)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewV2Authorizer(&az), nil
}

func (s *Service) getV2Authorizers(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	out := v2Items[v2AuthorizerView]{Items: []v2AuthorizerView{}}
	for i := range a.Authorizers {
		out.Items = append(out.Items, viewV2Authorizer(&a.Authorizers[i]))
	}
	return http.StatusOK, out, nil
}

func findV2Authorizer(a *storedAPI, id string) (int, error) {
	for i := range a.Authorizers {
		if a.Authorizers[i].ID == id {
			return i, nil
		}
	}
	return -1, notFound("Unable to find Authorizer with id '%s'", id)
}

func (s *Service) getV2Authorizer(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	i, err := findV2Authorizer(a, r.PathValue("authorizer_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewV2Authorizer(&a.Authorizers[i]), nil
}

func (s *Service) updateV2Authorizer(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in v2AuthorizerInput
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	var out v2AuthorizerView
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		i, err := findV2Authorizer(a, r.PathValue("authorizer_id"))
		if err != nil {
			return err
		}
		az := a.Authorizers[i]
		in.apply(&az)
		if err := checkV2Authorizer(a.Protocol, &az); err != nil {
			return err
		}
		a.Authorizers[i] = az
		out = viewV2Authorizer(&az)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (s *Service) deleteV2Authorizer(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		id := r.PathValue("authorizer_id")
		i, err := findV2Authorizer(a, id)
		if err != nil {
			return err
		}
		for _, rt := range a.Routes {
			if rt.AuthorizerID == id {
				return conflict("Cannot delete authorizer '%s': route %s uses it", id, rt.RouteKey)
			}
		}
		a.Authorizers = slices.Delete(a.Authorizers, i, i+1)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}

// checkRouteAuthorizer verifies a route's authorizer exists and suits its authorization type.
func checkRouteAuthorizer(a *storedAPI, rt *model.Route) error {
	switch rt.AuthorizationType {
	case "", model.AuthNone, model.AuthIAM:
		if rt.AuthorizerID != "" && rt.AuthorizationType != "" && rt.AuthorizationType != model.AuthNone {
			return badRequest("authorizerId is only used with authorizationType CUSTOM or JWT")
		}
		return nil
	case model.AuthCustom, model.AuthJWT:
	default:
		return badRequest("Invalid authorizationType %q", rt.AuthorizationType)
	}
	i, err := findV2Authorizer(a, rt.AuthorizerID)
	if err != nil {
		return badRequest("Invalid authorizerId %q for this API", rt.AuthorizerID)
	}
	want := "REQUEST"
	if rt.AuthorizationType == model.AuthJWT {
		want = "JWT"
	}
	if a.Authorizers[i].Type != want {
		return badRequest("authorizationType %s needs a %s authorizer", rt.AuthorizationType, want)
	}
	return nil
}

// Models.

type v2ModelView struct {
	ModelID     string `json:"modelId"`
	Name        string `json:"name"`
	ContentType string `json:"contentType,omitempty"`
	Schema      string `json:"schema,omitempty"`
	Description string `json:"description,omitempty"`
}

func viewV2Model(m *model.Model) v2ModelView {
	return v2ModelView{ModelID: m.ID, Name: m.Name, ContentType: m.ContentType, Schema: m.Schema, Description: m.Description}
}

type v2ModelInput struct {
	Name        *string `json:"name"`
	ContentType *string `json:"contentType"`
	Schema      *string `json:"schema"`
	Description *string `json:"description"`
}

func (in *v2ModelInput) apply(m *model.Model) error {
	for _, f := range []struct {
		dst *string
		v   *string
	}{{&m.Name, in.Name}, {&m.ContentType, in.ContentType}, {&m.Schema, in.Schema}, {&m.Description, in.Description}} {
		if f.v != nil {
			*f.dst = *f.v
		}
	}
	if !modelName.MatchString(m.Name) {
		return badRequest("Model name must be alphanumeric: %q", m.Name)
	}
	if len(m.Description) > 1024 {
		return badRequest("description is longer than 1024 characters")
	}
	return checkSchema(m.Schema)
}

func (s *Service) createV2Model(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in v2ModelInput
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	m := model.Model{ID: newID(), ContentType: "application/json"}
	if err := in.apply(&m); err != nil {
		return 0, nil, err
	}
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		if len(a.Models) >= maxModels {
			return badRequest("too many models: at most %d", maxModels)
		}
		for _, x := range a.Models {
			if x.Name == m.Name {
				return conflict("Model with name %s already exists for this API", m.Name)
			}
		}
		a.Models = append(a.Models, m)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewV2Model(&m), nil
}

func findV2Model(a *storedAPI, id string) (int, error) {
	for i := range a.Models {
		if a.Models[i].ID == id {
			return i, nil
		}
	}
	return -1, notFound("Unable to find Model with id '%s'", id)
}

func (s *Service) getV2Models(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	out := v2Items[v2ModelView]{Items: []v2ModelView{}}
	for i := range a.Models {
		out.Items = append(out.Items, viewV2Model(&a.Models[i]))
	}
	return http.StatusOK, out, nil
}

func (s *Service) getV2Model(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadV2API(ctx, st, r.PathValue("api_id"))
	if err != nil {
		return 0, nil, err
	}
	i, err := findV2Model(a, r.PathValue("model_id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewV2Model(&a.Models[i]), nil
}

func (s *Service) updateV2Model(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in v2ModelInput
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	var out v2ModelView
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		i, err := findV2Model(a, r.PathValue("model_id"))
		if err != nil {
			return err
		}
		m := a.Models[i]
		if err := in.apply(&m); err != nil {
			return err
		}
		for j, x := range a.Models {
			if j != i && x.Name == m.Name {
				return conflict("Model with name %s already exists for this API", m.Name)
			}
		}
		a.Models[i] = m
		out = viewV2Model(&m)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}

func (s *Service) deleteV2Model(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	_, err := mutateV2(ctx, st, r.PathValue("api_id"), func(a *storedAPI) error {
		i, err := findV2Model(a, r.PathValue("model_id"))
		if err != nil {
			return err
		}
		a.Models = slices.Delete(a.Models, i, i+1)
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
