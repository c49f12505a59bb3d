// Package gatewayresponse holds API Gateway's gateway response types with AWS's defaults: the
// status, the `{"message":…}` body and the x-amzn-ErrorType header of every error the gateway
// itself answers, and renders them with an API's customisations (status, headers, templates),
// falling back to DEFAULT_4XX / DEFAULT_5XX as AWS does.
package gatewayresponse

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/portico/portico/pkg/model"
)

// Type is a gateway response type, e.g. "THROTTLED".
type Type string

// The 21 gateway response types.
const (
	AccessDenied                 Type = "ACCESS_DENIED"
	APIConfigurationError        Type = "API_CONFIGURATION_ERROR"
	AuthorizerConfigurationError Type = "AUTHORIZER_CONFIGURATION_ERROR"
	AuthorizerFailure            Type = "AUTHORIZER_FAILURE"
	BadRequestParameters         Type = "BAD_REQUEST_PARAMETERS"
	BadRequestBody               Type = "BAD_REQUEST_BODY"
	Default4XX                   Type = "DEFAULT_4XX"
	Default5XX                   Type = "DEFAULT_5XX"
	ExpiredToken                 Type = "EXPIRED_TOKEN"
	IntegrationFailure           Type = "INTEGRATION_FAILURE"
	IntegrationTimeout           Type = "INTEGRATION_TIMEOUT"
	InvalidAPIKey                Type = "INVALID_API_KEY"
	InvalidSignature             Type = "INVALID_SIGNATURE"
	MissingAuthenticationToken   Type = "MISSING_AUTHENTICATION_TOKEN"
	QuotaExceeded                Type = "QUOTA_EXCEEDED"
	RequestTooLarge              Type = "REQUEST_TOO_LARGE"
	ResourceNotFound             Type = "RESOURCE_NOT_FOUND"
	Throttled                    Type = "THROTTLED"
	Unauthorized                 Type = "UNAUTHORIZED"
	UnsupportedMediaType         Type = "UNSUPPORTED_MEDIA_TYPE"
	WAFFiltered                  Type = "WAF_FILTERED"
)

// Default is a type's AWS default.
type Default struct {
	Status    int
	Message   string // $context.error.message
	ErrorType string // x-amzn-ErrorType
}

// Defaults lists every type with its AWS default. DEFAULT_4XX and DEFAULT_5XX have no status
// of their own: the error's status is kept.
var Defaults = map[Type]Default{
	AccessDenied:                 {403, "User is not authorized to access this resource", "AccessDeniedException"},
	APIConfigurationError:        {500, "Internal server error", "InternalServerErrorException"},
	AuthorizerConfigurationError: {500, "Internal server error", "AuthorizerConfigurationException"},
	AuthorizerFailure:            {500, "Internal server error", "AuthorizerFailureException"},
	BadRequestParameters:         {400, "Missing required request parameters", "BadRequestException"},
	BadRequestBody:               {400, "Invalid request body", "BadRequestException"},
	Default4XX:                   {0, "", ""},
	Default5XX:                   {0, "", ""},
	ExpiredToken:                 {403, "The security token included in the request is expired", "ExpiredTokenException"},
	IntegrationFailure:           {504, "Internal server error", "InternalServerErrorException"},
	IntegrationTimeout:           {504, "Endpoint request timed out", "InternalServerErrorException"},
	InvalidAPIKey:                {403, "Forbidden", "ForbiddenException"},
	InvalidSignature:             {403, "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.", "InvalidSignatureException"},
	MissingAuthenticationToken:   {403, "Missing Authentication Token", "MissingAuthenticationTokenException"},
	QuotaExceeded:                {429, "Limit Exceeded", "LimitExceededException"},
	RequestTooLarge:              {413, "Request Too Long", "RequestTooLongException"},
	ResourceNotFound:             {404, "Not Found", "NotFoundException"},
	Throttled:                    {429, "Too Many Requests", "TooManyRequestsException"},
	Unauthorized:                 {401, "Unauthorized", "UnauthorizedException"},
	UnsupportedMediaType:         {415, "Unsupported Media Type", "BadRequestException"},
	WAFFiltered:                  {403, "Forbidden", "ForbiddenException"},
}

// Response is a rendered gateway response.
type Response struct {
	Status  int
	Headers map[string]string
	Body    []byte
}

// Render builds the response of type t. message overrides the type's default message when not
// empty. custom is the API's gateway responses (may be nil).
func Render(t Type, message string, custom map[string]model.GatewayResponse) Response {
	return RenderWith(t, message, "", custom)
}

// RenderWith is Render with $context.error.validationErrorString: the request validator's
// findings, for BAD_REQUEST_BODY and BAD_REQUEST_PARAMETERS templates.
func RenderWith(t Type, message, validationError string, custom map[string]model.GatewayResponse) Response {
	def := Defaults[t]
	if message == "" {
		message = def.Message
	}
	status := def.Status
	r := Response{Status: status, Headers: map[string]string{}}
	if def.ErrorType != "" {
		r.Headers["x-amzn-ErrorType"] = def.ErrorType
	}
	body := DefaultBody(message)
	gr, ok := custom[string(t)]
	if !ok {
		if status >= 500 {
			gr, ok = custom[string(Default5XX)]
		} else {
			gr, ok = custom[string(Default4XX)]
		}
	}
	if ok {
		// A type's own status, else DEFAULT_4XX/5XX's status (which AWS applies to every
		// type of its class that has no customisation of its own).
		if n, err := strconv.Atoi(gr.StatusCode); err == nil && n >= 100 && n <= 599 {
			r.Status = n
		}
		for k, v := range gr.ResponseParameters {
			name, found := strings.CutPrefix(k, "gatewayresponse.header.")
			if !found {
				continue
			}
			r.Headers[name] = literal(v)
		}
		if tmpl, found := gr.ResponseTemplates["application/json"]; found {
			body = []byte(strings.NewReplacer(
				"$context.error.validationErrorString", jsonEscaped(validationError),
				"$context.error.messageString", strconv.Quote(message),
				"$context.error.message", message,
				"$context.error.responseType", string(t),
			).Replace(tmpl))
		}
	}
	r.Body = body
	return r
}

// DefaultBody is AWS's default template rendered: {"message":"…"}.
func DefaultBody(message string) []byte {
	return []byte(`{"message":` + strconv.Quote(message) + `}`)
}

// literal unquotes a mapping value written as a static string ('value').
func literal(v string) string {
	if len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'' {
		return v[1 : len(v)-1]
	}
	return v
}

// jsonEscaped is s escaped for use inside a JSON string, as AWS writes validationErrorString
// (quotes as \").
func jsonEscaped(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
