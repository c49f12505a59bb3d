package lambdaevent

import "github.com/aws/aws-lambda-go/events"

// The events as API Gateway writes them, checked against AWS's recorded events:
//
// Format 1.0: every top-level member is present; headers, multiValueHeaders,
// queryStringParameters, multiValueQueryStringParameters, pathParameters and stageVariables
// are null when empty, body is null without a body, isBase64Encoded is always written.
// requestContext carries deploymentId; identity lists every caller member, null when unknown;
// authorizer is absent without an authorizer, operationName without an operation name.
//
// Format 2.0: cookies, queryStringParameters, pathParameters, stageVariables and body are
// absent when empty; requestContext.authentication is absent without a client certificate,
// requestContext.authorizer without an authorizer.

type eventV1 struct {
	Body                            *string             `json:"body"`
	Headers                         map[string]string   `json:"headers"`
	HTTPMethod                      string              `json:"httpMethod"`
	IsBase64Encoded                 bool                `json:"isBase64Encoded"`
	MultiValueHeaders               map[string][]string `json:"multiValueHeaders"`
	MultiValueQueryStringParameters map[string][]string `json:"multiValueQueryStringParameters"`
	Path                            string              `json:"path"`
	PathParameters                  map[string]string   `json:"pathParameters"`
	QueryStringParameters           map[string]string   `json:"queryStringParameters"`
	RequestContext                  contextV1           `json:"requestContext"`
	Resource                        string              `json:"resource"`
	StageVariables                  map[string]string   `json:"stageVariables"`
}

type contextV1 struct {
	AccountID         string         `json:"accountId"`
	APIID             string         `json:"apiId"`
	Authorizer        map[string]any `json:"authorizer,omitempty"`
	DeploymentID      string         `json:"deploymentId"`
	DomainName        string         `json:"domainName"`
	DomainPrefix      string         `json:"domainPrefix"`
	ExtendedRequestID string         `json:"extendedRequestId"`
	HTTPMethod        string         `json:"httpMethod"`
	Identity          identityV1     `json:"identity"`
	OperationName     string         `json:"operationName,omitempty"`
	Path              string         `json:"path"`
	Protocol          string         `json:"protocol"`
	RequestID         string         `json:"requestId"`
	RequestTime       string         `json:"requestTime"`
	RequestTimeEpoch  int64          `json:"requestTimeEpoch"`
	ResourceID        string         `json:"resourceId"`
	ResourcePath      string         `json:"resourcePath"`
	Stage             string         `json:"stage"`
}

// identityV1 is the caller: API Gateway writes every member, null when unknown.
type identityV1 struct {
	AccessKey                     *string `json:"accessKey"`
	AccountID                     *string `json:"accountId"`
	APIKey                        string  `json:"apiKey,omitempty"`   // when the method required a key
	APIKeyID                      string  `json:"apiKeyId,omitempty"` // when the method required a key
	Caller                        *string `json:"caller"`
	CognitoAuthenticationProvider *string `json:"cognitoAuthenticationProvider"`
	CognitoAuthenticationType     *string `json:"cognitoAuthenticationType"`
	CognitoIdentityID             *string `json:"cognitoIdentityId"`
	CognitoIdentityPoolID         *string `json:"cognitoIdentityPoolId"`
	PrincipalOrgID                *string `json:"principalOrgId"`
	SourceIP                      string  `json:"sourceIp"`
	User                          *string `json:"user"`
	UserAgent                     string  `json:"userAgent"`
	UserArn                       *string `json:"userArn"`
}

func wireEventV1(r *Request) eventV1 {
	e := EventV1(r)
	w := eventV1{
		Headers:                         e.Headers,
		HTTPMethod:                      e.HTTPMethod,
		IsBase64Encoded:                 e.IsBase64Encoded,
		MultiValueHeaders:               e.MultiValueHeaders,
		MultiValueQueryStringParameters: e.MultiValueQueryStringParameters,
		Path:                            e.Path,
		PathParameters:                  e.PathParameters,
		QueryStringParameters:           e.QueryStringParameters,
		Resource:                        e.Resource,
		StageVariables:                  e.StageVariables,
	}
	if len(r.Body) > 0 {
		w.Body = &e.Body
	}
	c := e.RequestContext
	w.RequestContext = contextV1{
		AccountID:         c.AccountID,
		APIID:             c.APIID,
		Authorizer:        c.Authorizer,
		DeploymentID:      r.DeploymentID,
		DomainName:        c.DomainName,
		DomainPrefix:      c.DomainPrefix,
		ExtendedRequestID: c.ExtendedRequestID,
		HTTPMethod:        c.HTTPMethod,
		Identity: identityV1{SourceIP: c.Identity.SourceIP, UserAgent: c.Identity.UserAgent,
			APIKey: c.Identity.APIKey, APIKeyID: c.Identity.APIKeyID},
		OperationName:    c.OperationName,
		Path:             c.Path,
		Protocol:         c.Protocol,
		RequestID:        c.RequestID,
		RequestTime:      c.RequestTime,
		RequestTimeEpoch: c.RequestTimeEpoch,
		ResourceID:       c.ResourceID,
		ResourcePath:     c.ResourcePath,
		Stage:            c.Stage,
	}
	return w
}

type eventV2 struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        contextV2         `json:"requestContext"`
	Body                  *string           `json:"body,omitempty"`
	PathParameters        map[string]string `json:"pathParameters,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
	StageVariables        map[string]string `json:"stageVariables,omitempty"`
}

type contextV2 struct {
	AccountID    string                                                      `json:"accountId"`
	APIID        string                                                      `json:"apiId"`
	Authorizer   *events.APIGatewayV2HTTPRequestContextAuthorizerDescription `json:"authorizer,omitempty"`
	DomainName   string                                                      `json:"domainName"`
	DomainPrefix string                                                      `json:"domainPrefix"`
	HTTP         events.APIGatewayV2HTTPRequestContextHTTPDescription        `json:"http"`
	RequestID    string                                                      `json:"requestId"`
	RouteKey     string                                                      `json:"routeKey"`
	Stage        string                                                      `json:"stage"`
	Time         string                                                      `json:"time"`
	TimeEpoch    int64                                                       `json:"timeEpoch"`
}

func wireEventV2(r *Request) eventV2 {
	e := EventV2(r)
	w := eventV2{
		Version:               e.Version,
		RouteKey:              e.RouteKey,
		RawPath:               e.RawPath,
		RawQueryString:        e.RawQueryString,
		Cookies:               e.Cookies,
		Headers:               e.Headers,
		QueryStringParameters: e.QueryStringParameters,
		PathParameters:        e.PathParameters,
		IsBase64Encoded:       e.IsBase64Encoded,
		StageVariables:        e.StageVariables,
	}
	if len(r.Body) > 0 {
		w.Body = &e.Body
	}
	c := e.RequestContext
	w.RequestContext = contextV2{
		AccountID:    c.AccountID,
		APIID:        c.APIID,
		Authorizer:   c.Authorizer,
		DomainName:   c.DomainName,
		DomainPrefix: c.DomainPrefix,
		HTTP:         c.HTTP,
		RequestID:    c.RequestID,
		RouteKey:     c.RouteKey,
		Stage:        c.Stage,
		Time:         c.Time,
		TimeEpoch:    c.TimeEpoch,
	}
	return w
}
