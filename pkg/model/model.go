// Package model is the API model shared by admin (which stores it) and edge (which serves it).
// The types follow the AWS API Gateway resource shapes and JSON field names, so that admin can
// return them as the AWS APIs do and a deployment snapshot is plain AWS-shaped JSON.
package model

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Protocols of an API.
const (
	ProtocolREST      = "REST"
	ProtocolHTTP      = "HTTP"
	ProtocolWebSocket = "WEBSOCKET"
)

// Integration types. NATS_PROXY and NATS are Portico's own.
const (
	IntegrationNATSProxy = "NATS_PROXY"
	IntegrationNATS      = "NATS"
	IntegrationHTTPProxy = "HTTP_PROXY"
	IntegrationHTTP      = "HTTP"
	IntegrationMock      = "MOCK"
	IntegrationAWSProxy  = "AWS_PROXY"
	IntegrationAWS       = "AWS"
)

// Authorization types.
const (
	AuthNone    = "NONE"
	AuthIAM     = "AWS_IAM"
	AuthCustom  = "CUSTOM"
	AuthJWT     = "JWT"
	AuthCognito = "COGNITO_USER_POOLS"
)

// DefaultTimeoutMillis is the REST integration timeout (29 s), as AWS.
const DefaultTimeoutMillis = 29000

// RestAPI is an API's definition: AWS's RestApi plus the resource tree and the parts a
// deployment snapshots. HTTP and WebSocket APIs use the same type with Protocol set and
// Routes filled (route keys) instead of Resources.
type RestAPI struct {
	ID                       string                     `json:"id"`
	Name                     string                     `json:"name"`
	Description              string                     `json:"description,omitempty"`
	Protocol                 string                     `json:"protocolType,omitempty"` // "" = REST
	CreatedDate              time.Time                  `json:"createdDate"`
	Version                  string                     `json:"version,omitempty"`
	APIKeySource             string                     `json:"apiKeySource,omitempty"` // HEADER (default) or AUTHORIZER
	BinaryMediaTypes         []string                   `json:"binaryMediaTypes,omitempty"`
	RouteSelectionExpression string                     `json:"routeSelectionExpression,omitempty"`
	Policy                   string                     `json:"policy,omitempty"`
	Tags                     map[string]string          `json:"tags,omitempty"`
	Resources                []Resource                 `json:"resources,omitempty"`
	Routes                   []Route                    `json:"routes,omitempty"`
	Authorizers              []Authorizer               `json:"authorizers,omitempty"`
	Models                   []Model                    `json:"models,omitempty"`
	RequestValidators        []RequestValidator         `json:"requestValidators,omitempty"`
	GatewayResponses         map[string]GatewayResponse `json:"gatewayResponses,omitempty"`
	// CorsConfiguration is an HTTP API's CORS configuration: the edge answers preflight
	// requests and adds the headers to every response.
	CorsConfiguration *Cors `json:"corsConfiguration,omitempty"`
	// EndpointConfiguration is a REST API's endpoint type (EDGE, REGIONAL or PRIVATE) and IP
	// address type, as AWS keeps them; nil is AWS's default, EDGE over ipv4.
	EndpointConfiguration *EndpointConfiguration `json:"endpointConfiguration,omitempty"`
	// MinimumCompressionSize, when set, makes the edge compress (gzip or deflate, as the
	// client accepts) integration responses of at least that many bytes, as AWS does.
	MinimumCompressionSize *int `json:"minimumCompressionSize,omitempty"`
	// DisableExecuteAPIEndpoint turns the default endpoints (execute-api host and path style)
	// off: the API answers only on its custom domain names, as AWS does.
	DisableExecuteAPIEndpoint bool `json:"disableExecuteApiEndpoint,omitempty"`
}

// EndpointConfiguration is AWS's EndpointConfiguration of a REST API.
type EndpointConfiguration struct {
	Types          []string `json:"types"`
	IPAddressType  string   `json:"ipAddressType,omitempty"`
	VPCEndpointIDs []string `json:"vpcEndpointIds,omitempty"`
}

// MaxCompressionSize is AWS's largest minimumCompressionSize (10 MiB).
const MaxCompressionSize = 10485760

// Resource is a node of a REST API's resource tree.
type Resource struct {
	ID              string            `json:"id"`
	ParentID        string            `json:"parentId,omitempty"`
	PathPart        string            `json:"pathPart,omitempty"`
	Path            string            `json:"path"`
	ResourceMethods map[string]Method `json:"resourceMethods,omitempty"`
}

// Method is an HTTP method of a resource (AWS Method).
type Method struct {
	HTTPMethod          string                    `json:"httpMethod"`
	AuthorizationType   string                    `json:"authorizationType"`
	AuthorizerID        string                    `json:"authorizerId,omitempty"`
	APIKeyRequired      bool                      `json:"apiKeyRequired"`
	RequestValidatorID  string                    `json:"requestValidatorId,omitempty"`
	OperationName       string                    `json:"operationName,omitempty"`
	RequestParameters   map[string]bool           `json:"requestParameters,omitempty"`
	RequestModels       map[string]string         `json:"requestModels,omitempty"`
	MethodResponses     map[string]MethodResponse `json:"methodResponses,omitempty"`
	MethodIntegration   *Integration              `json:"methodIntegration,omitempty"`
	AuthorizationScopes []string                  `json:"authorizationScopes,omitempty"`
}

// MethodResponse is AWS's MethodResponse.
type MethodResponse struct {
	StatusCode         string            `json:"statusCode"`
	ResponseParameters map[string]bool   `json:"responseParameters,omitempty"`
	ResponseModels     map[string]string `json:"responseModels,omitempty"`
}

// Integration is AWS's Integration, with Portico's NATS types.
type Integration struct {
	Type                 string            `json:"type"`
	HTTPMethod           string            `json:"httpMethod,omitempty"`
	URI                  string            `json:"uri,omitempty"`
	ConnectionType       string            `json:"connectionType,omitempty"`
	Credentials          string            `json:"credentials,omitempty"`
	RequestParameters    map[string]string `json:"requestParameters,omitempty"`
	RequestTemplates     map[string]string `json:"requestTemplates,omitempty"`
	PassthroughBehavior  string            `json:"passthroughBehavior,omitempty"`
	ContentHandling      string            `json:"contentHandling,omitempty"`
	TimeoutInMillis      int               `json:"timeoutInMillis,omitempty"`
	CacheNamespace       string            `json:"cacheNamespace,omitempty"`
	CacheKeyParameters   []string          `json:"cacheKeyParameters,omitempty"`
	PayloadFormatVersion string            `json:"payloadFormatVersion,omitempty"`
	// IntegrationSubtype is an HTTP API AWS integration's action: SQS-SendMessage,
	// EventBridge-PutEvents (RequestParameters name the queue, body, bus, …).
	IntegrationSubtype   string                         `json:"integrationSubtype,omitempty"`
	IntegrationResponses map[string]IntegrationResponse `json:"integrationResponses,omitempty"`
	// ResponseParameters is an HTTP API integration's response parameter mapping, by status
	// code: {"404": {"overwrite:statuscode": "200", "append:header.x": "v"}}.
	// (RequestParameters holds an HTTP API's request mapping: "append:header.x",
	// "overwrite:querystring.q", "remove:header.y", "overwrite:path".)
	ResponseParameters map[string]map[string]string `json:"responseParameters,omitempty"`
	// TemplateSelectionExpression (WebSocket APIs) picks the RequestTemplates key from the
	// message, e.g. "${request.body.action}"; unset or no match: "$default".
	TemplateSelectionExpression string `json:"templateSelectionExpression,omitempty"`
}

// IntegrationResponse is AWS's IntegrationResponse.
type IntegrationResponse struct {
	StatusCode         string            `json:"statusCode"`
	SelectionPattern   string            `json:"selectionPattern,omitempty"`
	ResponseParameters map[string]string `json:"responseParameters,omitempty"`
	ResponseTemplates  map[string]string `json:"responseTemplates,omitempty"`
	ContentHandling    string            `json:"contentHandling,omitempty"`
}

// Route is an HTTP or WebSocket API route (AWS apigatewayv2 Route with its integration inline).
type Route struct {
	ID                string       `json:"routeId"`
	RouteKey          string       `json:"routeKey"` // "GET /pets/{id}", "$default", "$connect"
	AuthorizationType string       `json:"authorizationType,omitempty"`
	AuthorizerID      string       `json:"authorizerId,omitempty"`
	APIKeyRequired    bool         `json:"apiKeyRequired,omitempty"`
	Integration       *Integration `json:"integration,omitempty"`
	// RouteResponseSelectionExpression and RouteResponses make a WebSocket route two-way: the
	// integration's answer goes back to the client only when the route has a route response.
	RouteResponseSelectionExpression string          `json:"routeResponseSelectionExpression,omitempty"`
	RouteResponses                   []RouteResponse `json:"routeResponses,omitempty"`
}

// RouteResponse is a WebSocket route's response (AWS apigatewayv2 RouteResponse).
type RouteResponse struct {
	ID               string `json:"routeResponseId"`
	RouteResponseKey string `json:"routeResponseKey"`
}

// TwoWay reports whether the route sends its integration's answer back to the client.
func (r *Route) TwoWay() bool { return len(r.RouteResponses) > 0 }

// Authorizer is AWS's Authorizer (fields used by both REST and v2).
type Authorizer struct {
	ID                           string `json:"id"`
	Name                         string `json:"name"`
	Type                         string `json:"type"` // TOKEN, REQUEST, COGNITO_USER_POOLS, JWT
	AuthorizerURI                string `json:"authorizerUri,omitempty"`
	IdentitySource               string `json:"identitySource,omitempty"`
	IdentityValidationExpression string `json:"identityValidationExpression,omitempty"`
	AuthorizerResultTTLInSeconds *int   `json:"authorizerResultTtlInSeconds,omitempty"`
	// HTTP API (apigatewayv2) authorizers. IdentitySource then holds v2's list joined by ",".
	AuthorizerPayloadFormatVersion string            `json:"authorizerPayloadFormatVersion,omitempty"`
	EnableSimpleResponses          bool              `json:"enableSimpleResponses,omitempty"`
	JWTConfiguration               *JWTConfiguration `json:"jwtConfiguration,omitempty"`
	// ProviderARNs are a COGNITO_USER_POOLS authorizer's user pools.
	ProviderARNs []string `json:"providerARNs,omitempty"`
}

// JWTConfiguration is a JWT authorizer's issuer and audiences (AWS's JWTConfiguration).
type JWTConfiguration struct {
	Issuer   string   `json:"issuer,omitempty"`
	Audience []string `json:"audience,omitempty"`
}

// Model is AWS's Model (a JSON Schema draft-04 document).
type Model struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	ContentType string `json:"contentType"`
	Schema      string `json:"schema,omitempty"`
	Description string `json:"description,omitempty"`
}

// RequestValidator is AWS's RequestValidator.
type RequestValidator struct {
	ID                        string `json:"id"`
	Name                      string `json:"name"`
	ValidateRequestBody       bool   `json:"validateRequestBody"`
	ValidateRequestParameters bool   `json:"validateRequestParameters"`
}

// GatewayResponse customises one gateway response type.
type GatewayResponse struct {
	StatusCode         string            `json:"statusCode,omitempty"`
	ResponseParameters map[string]string `json:"responseParameters,omitempty"`
	ResponseTemplates  map[string]string `json:"responseTemplates,omitempty"`
}

// Deployment is an immutable snapshot of an API.
type Deployment struct {
	ID          string    `json:"id"`
	APIID       string    `json:"apiId"`
	Description string    `json:"description,omitempty"`
	CreatedDate time.Time `json:"createdDate"`
	API         RestAPI   `json:"api"`
	// AutoDeployed is set on deployments admin made for an autoDeploy stage.
	AutoDeployed bool `json:"autoDeployed,omitempty"`
}

// Stage points at a deployment and carries per-stage settings.
type Stage struct {
	APIID           string                   `json:"restApiId"`
	StageName       string                   `json:"stageName"`
	DeploymentID    string                   `json:"deploymentId"`
	Description     string                   `json:"description,omitempty"`
	Variables       map[string]string        `json:"variables,omitempty"`
	MethodSettings  map[string]MethodSetting `json:"methodSettings,omitempty"`
	TracingEnabled  bool                     `json:"tracingEnabled,omitempty"`
	CanarySettings  *CanarySettings          `json:"canarySettings,omitempty"`
	CreatedDate     time.Time                `json:"createdDate"`
	LastUpdatedDate time.Time                `json:"lastUpdatedDate"`
	// AutoDeploy (HTTP and WebSocket APIs): admin deploys every change to the API to this stage.
	AutoDeploy bool `json:"autoDeploy,omitempty"`
	// WebACLArn is the AWS WAF web ACL associated with the stage (wafv2 AssociateWebACL); the
	// edge evaluates it before anything else and answers WAF_FILTERED when it blocks.
	WebACLArn string `json:"webAclArn,omitempty"`
	// CacheClusterEnabled turns on the stage response cache; CacheClusterSize is its size in
	// GB, one of AWS's CacheClusterSizes. Each edge caches in its own memory, bounded by the
	// size and by the edge's own limit.
	CacheClusterEnabled bool   `json:"cacheClusterEnabled,omitempty"`
	CacheClusterSize    string `json:"cacheClusterSize,omitempty"`
	// AccessLogSettings, when set, makes every edge write one access log line per request of
	// the stage, in its $context format (wire.AccessLogSubject).
	AccessLogSettings *AccessLogSettings `json:"accessLogSettings,omitempty"`
}

// AccessLogSettings is AWS's AccessLogSettings: where a stage's access log lines go (a CloudWatch
// Logs log group or Firehose ARN, kept as the lines' destination) and their format, a template of
// $context variables.
type AccessLogSettings struct {
	DestinationARN string `json:"destinationArn,omitempty"`
	Format         string `json:"format,omitempty"`
}

// CacheClusterSizes are AWS's cacheClusterSize values (GB); DefaultCacheClusterSize is the
// size of a cache enabled without one.
var CacheClusterSizes = []string{"0.5", "1.6", "6.1", "13.5", "28.4", "58.2", "118", "237"}

const DefaultCacheClusterSize = "0.5"

// MethodSetting is AWS's MethodSetting; the key "*/*" holds the stage defaults.
type MethodSetting struct {
	ThrottlingRateLimit  float64 `json:"throttlingRateLimit,omitempty"`
	ThrottlingBurstLimit int64   `json:"throttlingBurstLimit,omitempty"`
	CachingEnabled       bool    `json:"cachingEnabled,omitempty"`
	// CacheTTLInSeconds nil is AWS's default, DefaultCacheTTLSeconds; 0 turns caching off.
	CacheTTLInSeconds  *int   `json:"cacheTtlInSeconds,omitempty"`
	CacheDataEncrypted bool   `json:"cacheDataEncrypted,omitempty"`
	MetricsEnabled     bool   `json:"metricsEnabled,omitempty"`
	LoggingLevel       string `json:"loggingLevel,omitempty"`
	// RequireAuthorizationForCacheControl nil is AWS's default, true: a Cache-Control:
	// max-age=0 request invalidates its entry only when the caller may
	// execute-api:InvalidateCache.
	RequireAuthorizationForCacheControl *bool `json:"requireAuthorizationForCacheControl,omitempty"`
	// UnauthorizedCacheControlHeaderStrategy is what an unauthorized invalidation gets:
	// one of the CacheControl* strategies; "" is CacheControlSucceedWithHeader.
	UnauthorizedCacheControlHeaderStrategy string `json:"unauthorizedCacheControlHeaderStrategy,omitempty"`
}

// Method cache defaults and bounds (AWS's).
const (
	DefaultCacheTTLSeconds = 300
	MaxCacheTTLSeconds     = 3600
)

// Strategies of MethodSetting.UnauthorizedCacheControlHeaderStrategy.
const (
	CacheControlFail                 = "FAIL_WITH_403"
	CacheControlSucceedWithHeader    = "SUCCEED_WITH_RESPONSE_HEADER"
	CacheControlSucceedWithoutHeader = "SUCCEED_WITHOUT_RESPONSE_HEADER"
)

// CacheTTL is the setting's cache TTL in seconds, AWS's default when unset.
func (m *MethodSetting) CacheTTL() int {
	if m.CacheTTLInSeconds == nil {
		return DefaultCacheTTLSeconds
	}
	return *m.CacheTTLInSeconds
}

// RequiresCacheControlAuth reports whether invalidation needs execute-api:InvalidateCache.
func (m *MethodSetting) RequiresCacheControlAuth() bool {
	return m.RequireAuthorizationForCacheControl == nil || *m.RequireAuthorizationForCacheControl
}

// CacheControlStrategy is the unauthorized-invalidation strategy, AWS's default when unset.
func (m *MethodSetting) CacheControlStrategy() string {
	if m.UnauthorizedCacheControlHeaderStrategy == "" {
		return CacheControlSucceedWithHeader
	}
	return m.UnauthorizedCacheControlHeaderStrategy
}

// StageDefaults is the MethodSettings key of stage-wide settings.
const StageDefaults = "*/*"

// Throttle returns the stage-wide rate and burst; ok is false when none is set.
func (s *Stage) Throttle() (rate float64, burst int64, ok bool) {
	ms, found := s.MethodSettings[StageDefaults]
	if !found || ms.ThrottlingRateLimit <= 0 {
		return 0, 0, false
	}
	return ms.ThrottlingRateLimit, ms.ThrottlingBurstLimit, true
}

// CanarySettings is AWS's CanarySettings.
type CanarySettings struct {
	PercentTraffic         float64           `json:"percentTraffic"`
	DeploymentID           string            `json:"deploymentId,omitempty"`
	StageVariableOverrides map[string]string `json:"stageVariableOverrides,omitempty"`
	UseStageCache          bool              `json:"useStageCache,omitempty"`
}

// APIKey is an API key's record. The value itself is never stored: Hash is its hex SHA-256.
type APIKey struct {
	ID              string    `json:"id"`
	Name            string    `json:"name,omitempty"`
	Description     string    `json:"description,omitempty"`
	Enabled         bool      `json:"enabled"`
	Hash            string    `json:"hash"`
	StageKeys       []string  `json:"stageKeys,omitempty"` // "{apiId}/{stage}"
	CreatedDate     time.Time `json:"createdDate"`
	LastUpdatedDate time.Time `json:"lastUpdatedDate"`
}

// StageKey names an API stage as AWS's stageKeys do.
func StageKey(apiID, stage string) string { return apiID + "/" + stage }

// HashAPIKey is how an API key value is stored and looked up: hex SHA-256.
func HashAPIKey(value string) string {
	sum := sha256.Sum256([]byte(value))
	return hex.EncodeToString(sum[:])
}

// IAMCredential is an IAM user's access key with its identity policies, stored by admin in the
// config bucket under wire.KeyIAMUser(AccessKeyID). authz serves it to edges, which verify
// SigV4 signatures with the secret and evaluate the policies (execute-api:Invoke,
// execute-api:ManageConnections) locally. Policies are IAM policy documents, each either a
// JSON object or a JSON string holding one (AWS's PolicyDocument form).
type IAMCredential struct {
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	// SessionToken, when set, must accompany the key (temporary credentials).
	SessionToken string `json:"sessionToken,omitempty"`
	// Expires, when set, is when temporary credentials stop working.
	Expires *time.Time `json:"expires,omitempty"`
	// UserARN names the user in denials ("User: {UserARN} is not authorized …"); empty means
	// arn:aws:iam::{account}:user/{UserName}.
	UserARN  string `json:"userArn,omitempty"`
	UserName string `json:"userName,omitempty"`
	// Disabled keys are refused as unknown (AWS's Inactive status).
	Disabled bool              `json:"disabled,omitempty"`
	Policies []json.RawMessage `json:"policies,omitempty"`
}

// UsagePlan is AWS's UsagePlan: a throttle and quota for the API keys bound to it, on the API
// stages it lists.
type UsagePlan struct {
	ID          string            `json:"id"`
	Name        string            `json:"name"`
	Description string            `json:"description,omitempty"`
	APIStages   []UsagePlanStage  `json:"apiStages,omitempty"`
	Throttle    *ThrottleSettings `json:"throttle,omitempty"`
	Quota       *QuotaSettings    `json:"quota,omitempty"`
	ProductCode string            `json:"productCode,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
}

// UsagePlanStage is an API stage of a usage plan; Throttle is keyed "{resourcePath}/{METHOD}"
// ("/pets/{petId}/GET") as AWS's apiStages throttle map is.
type UsagePlanStage struct {
	APIID    string                      `json:"apiId"`
	Stage    string                      `json:"stage"`
	Throttle map[string]ThrottleSettings `json:"throttle,omitempty"`
}

// ThrottleSettings is AWS's ThrottleSettings.
type ThrottleSettings struct {
	BurstLimit int64   `json:"burstLimit,omitempty"`
	RateLimit  float64 `json:"rateLimit,omitempty"`
}

// QuotaSettings is AWS's QuotaSettings; Period is DAY, WEEK or MONTH.
type QuotaSettings struct {
	Limit  int64  `json:"limit,omitempty"`
	Offset int    `json:"offset,omitempty"`
	Period string `json:"period,omitempty"`
}

// UsagePlanKey binds an API key to a usage plan (AWS's UsagePlanKey; Type is "API_KEY").
type UsagePlanKey struct {
	ID   string `json:"id"` // the API key's id
	Type string `json:"type"`
	Name string `json:"name,omitempty"`
}

// Cors is an HTTP API's CORS configuration (apigatewayv2 CorsConfiguration).
type Cors struct {
	AllowCredentials bool     `json:"allowCredentials,omitempty"`
	AllowHeaders     []string `json:"allowHeaders,omitempty"`
	AllowMethods     []string `json:"allowMethods,omitempty"`
	AllowOrigins     []string `json:"allowOrigins,omitempty"`
	ExposeHeaders    []string `json:"exposeHeaders,omitempty"`
	MaxAge           *int     `json:"maxAge,omitempty"`
}

// DomainName is a custom domain name (apigateway and apigatewayv2 DomainName) with its base
// path mappings (v2: API mappings). admin stores it at wire.KeyDomainName. The edge serves a
// request whose Host is DomainName by the mapping whose BasePath is the request path's
// longest matching first segments ("" maps the root), stripping BasePath before routing.
type DomainName struct {
	DomainName     string            `json:"domainName"`
	CertificateARN string            `json:"certificateArn,omitempty"`
	EndpointType   string            `json:"endpointType,omitempty"` // REGIONAL (default) or EDGE
	SecurityPolicy string            `json:"securityPolicy,omitempty"`
	Tags           map[string]string `json:"tags,omitempty"`
	Mappings       []BasePathMapping `json:"mappings,omitempty"`
	CreatedDate    time.Time         `json:"createdDate"`
}

// BasePathMapping maps a base path of a custom domain name to an API stage.
type BasePathMapping struct {
	ID       string `json:"id"`       // apigatewayv2's apiMappingId
	BasePath string `json:"basePath"` // "" is AWS's "(none)": the domain's root
	APIID    string `json:"apiId"`
	Stage    string `json:"stage"`
}
