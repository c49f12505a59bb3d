package wire

import (
	"encoding/json"
	"strings"
)

// Error codes carried in replies (Code fields) and their HTTP statuses.
const (
	CodeOK            = ""
	CodeForbidden     = "Forbidden"     // 403
	CodeUnauthorized  = "Unauthorized"  // 401
	CodeThrottled     = "Throttled"     // 429 Too Many Requests
	CodeQuotaExceeded = "QuotaExceeded" // 429 Limit Exceeded
	CodeGone          = "GoneException" // 410
	CodeBadRequest    = "BadRequest"    // 400
	CodePayloadLarge  = "PayloadTooLarge"
	CodeInternal      = "InternalError" // 500
	CodeUnavailable   = "Unavailable"   // 503: a store behind the service is down
)

// StatusOf maps an error code to its HTTP status.
func StatusOf(code string) int {
	switch code {
	case CodeOK:
		return 200
	case CodeForbidden:
		return 403
	case CodeUnauthorized:
		return 401
	case CodeThrottled, CodeQuotaExceeded:
		return 429
	case CodeGone:
		return 410
	case CodeBadRequest:
		return 400
	case CodePayloadLarge:
		return 413
	case CodeUnavailable:
		return 503
	default:
		return 500
	}
}

// AuthzRequest asks authz whether a request may go on.
type AuthzRequest struct {
	APIID      string `json:"apiId"`
	Stage      string `json:"stage"`
	Method     string `json:"method"`
	Path       string `json:"path"`
	MethodARN  string `json:"methodArn,omitempty"`
	APIKey     string `json:"apiKey,omitempty"` // the raw x-api-key value; never logged
	NeedAPIKey bool   `json:"needApiKey,omitempty"`
	SourceIP   string `json:"sourceIp,omitempty"`
	// JWT, when set, guards the route with a JWT authorizer. Token is its identity source's
	// value (the Authorization header, with or without "Bearer "); never logged. Scopes are the
	// route's authorizationScopes: the token must carry one of them.
	JWT    *JWTAuthorizer `json:"jwt,omitempty"`
	Token  string         `json:"token,omitempty"`
	Scopes []string       `json:"scopes,omitempty"`

	// Custom, when set, guards the route with a custom (Lambda-style) authorizer: authz builds
	// the authorizer event from the request facts below and asks the function on the bus.
	Custom *CustomAuthorizer `json:"custom,omitempty"`
	// Request facts a REQUEST authorizer (and the identity sources) read. Header names are
	// matched case-insensitively.
	Headers           map[string]string   `json:"headers,omitempty"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders,omitempty"`
	Query             map[string]string   `json:"query,omitempty"`
	MultiValueQuery   map[string][]string `json:"multiValueQuery,omitempty"`
	RawQuery          string              `json:"rawQuery,omitempty"`
	PathParams        map[string]string   `json:"pathParams,omitempty"`
	StageVariables    map[string]string   `json:"stageVariables,omitempty"`
	// Context holds $context values an identity source may name ("context.requestId" reads
	// Context["requestId"]); RequestID, ResourcePath, AccountID and RouteKey fill the event's
	// requestContext.
	Context      map[string]string `json:"context,omitempty"`
	RequestID    string            `json:"requestId,omitempty"`
	ResourcePath string            `json:"resourcePath,omitempty"`
	AccountID    string            `json:"accountId,omitempty"`
	RouteKey     string            `json:"routeKey,omitempty"`
}

// Custom authorizer types.
const (
	AuthorizerToken   = "TOKEN"
	AuthorizerRequest = "REQUEST"
)

// CustomAuthorizer is a custom (Lambda-style) authorizer's configuration, as the edge sends it
// from the deployment (model.Authorizer).
type CustomAuthorizer struct {
	ID   string `json:"id"`
	Type string `json:"type"` // AuthorizerToken or AuthorizerRequest
	// FunctionSubject is the NATS subject of the authorizer function. The edge derives it with
	// AuthorizerSubject from the authorizer's authorizerUri.
	FunctionSubject string `json:"functionSubject"`
	// IdentitySource is AWS's identitySource: for TOKEN one header
	// ("method.request.header.Authorization"); for REQUEST a comma-separated list of
	// method.request.header.X, method.request.querystring.X, stageVariables.X, context.X, or,
	// for HTTP APIs, $request.header.X, $request.querystring.X, $stageVariables.X, $context.X.
	// A missing or empty source is 401 without calling the function.
	IdentitySource string `json:"identitySource,omitempty"`
	// IdentityValidationExpression (TOKEN): a token that does not match it is 401 without
	// calling the function.
	IdentityValidationExpression string `json:"identityValidationExpression,omitempty"`
	// PayloadFormat is an HTTP API authorizer's authorizerPayloadFormatVersion: "1.0" or
	// "2.0". Empty means a REST API authorizer.
	PayloadFormat string `json:"payloadFormat,omitempty"`
	// EnableSimpleResponses (HTTP API, 2.0): the function answers {isAuthorized, context}.
	EnableSimpleResponses bool `json:"enableSimpleResponses,omitempty"`
	// TTLSeconds is authorizerResultTtlInSeconds; nil means 300, 0 turns caching off, at
	// most 3600.
	TTLSeconds *int `json:"ttlSeconds,omitempty"`
}

// LambdaFunction extracts the function name from an AWS_PROXY integration uri:
// arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/arn:aws:lambda:{region}:{account}:function:{name}[:{qualifier}]/invocations,
// arn:aws:lambda:{region}:{account}:function:{name}[:{qualifier}], or a bare function name.
// The qualifier (alias or version) is dropped: one subject, LambdaSubject(name), serves the
// function.
func LambdaFunction(uri string) string {
	if i := strings.LastIndex(uri, ":function:"); i >= 0 {
		uri = uri[i+len(":function:"):]
	}
	uri, _, _ = strings.Cut(uri, "/")
	uri, _, _ = strings.Cut(uri, ":")
	return uri
}

// AuthorizerSubject is the subject of a custom authorizer's function: for an authorizerUri
// naming a Lambda function
// (arn:aws:apigateway:{region}:lambda:path/2015-03-31/functions/arn:aws:lambda:{region}:{account}:function:{name}/invocations,
// or a bare function ARN) LambdaSubject(name), otherwise the URI itself, taken as a subject.
func AuthorizerSubject(uri string) string {
	s := uri
	if _, rest, ok := strings.Cut(s, "/functions/"); ok {
		s = strings.TrimSuffix(rest, "/invocations")
	}
	if _, name, ok := strings.Cut(s, ":function:"); ok && strings.HasPrefix(s, "arn:") {
		if i := strings.IndexByte(name, ':'); i >= 0 { // a qualifier (version or alias)
			name = name[:i]
		}
		return LambdaSubject(name)
	}
	return uri
}

// JWTAuthorizer is a JWT authorizer's configuration (AWS's JwtConfiguration), as the edge sends
// it from the deployment.
type JWTAuthorizer struct {
	ID       string   `json:"id"`
	Issuer   string   `json:"issuer"`
	Audience []string `json:"audience,omitempty"` // the token's aud or client_id must be one of them
	// JWKSURI is where the signing keys are; empty means the issuer's OpenID Connect discovery
	// document ({issuer}/.well-known/openid-configuration) names it.
	JWKSURI string `json:"jwksUri,omitempty"`
	// Algorithms pins the accepted signing algorithms; empty means RS256. "none" is never accepted.
	Algorithms []string `json:"algorithms,omitempty"`
}

// AuthzDecision is authz's answer. Allow false carries Code and Message for the client.
type AuthzDecision struct {
	Allow       bool              `json:"allow"`
	Code        string            `json:"code,omitempty"`
	Message     string            `json:"message,omitempty"`
	PrincipalID string            `json:"principalId,omitempty"`
	Context     map[string]string `json:"context,omitempty"`
	APIKeyID    string            `json:"apiKeyId,omitempty"`
	// UsageKey is the identity that usage-plan throttling and quotas count against.
	UsageKey   string `json:"usageKey,omitempty"`
	TTLSeconds int    `json:"ttlSeconds"`

	// GatewayResponse, when set, names the gateway response type the edge renders for a
	// denial or failure (e.g. "UNAUTHORIZED", "ACCESS_DENIED", "AUTHORIZER_FAILURE",
	// "AUTHORIZER_CONFIGURATION_ERROR", "INVALID_SIGNATURE", "EXPIRED_TOKEN",
	// "MISSING_AUTHENTICATION_TOKEN"); its status is StatusOf(Code) unless the type says
	// otherwise. Empty: the edge picks by Code as before.
	GatewayResponse string `json:"gatewayResponse,omitempty"`
	// CapitalMessage tells the edge to write the body with a capital M,
	// {"Message":"…"}, as AWS does for policy denials (custom authorizer Deny, IAM and
	// resource-policy denials) instead of {"message":"…"}.
	CapitalMessage bool `json:"capitalMessage,omitempty"`
	// CacheKeyExtra is what, beyond the request's identity, the decision was keyed by
	// (authzclient sets it to a digest of the identity-source values of a custom authorizer);
	// informational.
	CacheKeyExtra string `json:"cacheKeyExtra,omitempty"`
	// Policy is the policy document a custom authorizer answered (REST and payload 1.0). The
	// client caches it and evaluates each request's method ARN against it, as AWS caches the
	// whole policy: Allow is then the decision for the request's MethodARN only.
	Policy json.RawMessage `json:"policy,omitempty"`
	// UsagePlan is the usage plan the request's API key is bound to for this stage, if any:
	// the edge throttles the key by it and counts its quota.
	UsagePlan *UsagePlanLimits `json:"usagePlan,omitempty"`
}

// CredentialsRequest asks authz for an IAM access key's credentials and policies.
type CredentialsRequest struct {
	AccessKeyID string `json:"accessKeyId"`
}

// CredentialsReply answers a CredentialsRequest. Found false means the key is unknown (or
// disabled). Root credentials (the admin's) pass every IAM check; otherwise Policies are the
// user's identity policies (IAM policy documents).
type CredentialsReply struct {
	Found           bool              `json:"found"`
	SecretAccessKey string            `json:"secretAccessKey,omitempty"`
	SessionToken    string            `json:"sessionToken,omitempty"`
	Expires         int64             `json:"expires,omitempty"` // unix millis; 0 = never
	PrincipalARN    string            `json:"principalArn,omitempty"`
	Policies        []json.RawMessage `json:"policies,omitempty"`
	Root            bool              `json:"root,omitempty"`
	Code            string            `json:"code,omitempty"` // CodeBadRequest, CodeInternal
}

// Invalidation tells edges to drop cached decisions. APIKeyHash empty with All set drops all.
type Invalidation struct {
	APIKeyHash string `json:"apiKeyHash,omitempty"`
	All        bool   `json:"all,omitempty"`
	// AccessKeyID names an IAM access key whose record changed: edges drop its cached
	// credentials and policies.
	AccessKeyID string `json:"accessKeyId,omitempty"`
}

// CacheFlush tells every edge to empty a stage's cache: Scope CacheFlushData is the stage
// response cache (FlushStageCache), CacheFlushAuthorizers the cached authorizer decisions
// (FlushStageAuthorizersCache).
type CacheFlush struct {
	APIID string `json:"apiId"`
	Stage string `json:"stage"`
	Scope string `json:"scope"`
}

// Scopes of a CacheFlush.
const (
	CacheFlushData        = "data"
	CacheFlushAuthorizers = "authorizers"
)

// LeaseRequest asks ratelimit for up to Want tokens of a bucket.
type LeaseRequest struct {
	Key    string  `json:"key"`
	Rate   float64 `json:"rate"`  // tokens per second
	Burst  int64   `json:"burst"` // bucket capacity
	Want   int64   `json:"want"`
	EdgeID string  `json:"edgeId,omitempty"`

	// QuotaPeriod set (DAY, WEEK or MONTH) makes this a usage-plan quota lease: up to Want
	// requests are counted against QuotaLimit in the current period (offset as AWS's
	// QuotaSettings.offset) and Rate and Burst are ignored. An exhausted quota answers
	// Granted 0 with Code CodeQuotaExceeded and RetryAfterMs until the period ends.
	QuotaLimit  int64  `json:"quotaLimit,omitempty"`
	QuotaPeriod string `json:"quotaPeriod,omitempty"`
	QuotaOffset int    `json:"quotaOffset,omitempty"`
}

// LeaseGrant answers a LeaseRequest. Granted may be less than Want (0 = throttled). Tokens not
// spent within ExpiresMillis are forfeited. Code CodeUnavailable means the store is down and
// the edge applies the stage's outage policy.
type LeaseGrant struct {
	Granted       int64  `json:"granted"`
	ExpiresMillis int64  `json:"expiresMillis"`
	RetryAfterMs  int64  `json:"retryAfterMs,omitempty"`
	Code          string `json:"code,omitempty"`
}

// ConnEvent registers (Kind "connect"), refreshes ("active") or removes ("disconnect") a
// WebSocket connection in the registry.
type ConnEvent struct {
	Kind         string       `json:"kind"`
	ConnectionID string       `json:"connectionId"`
	EdgeID       string       `json:"edgeId"`
	APIID        string       `json:"apiId"`
	Stage        string       `json:"stage"`
	ConnectedAt  int64        `json:"connectedAt"` // unix millis
	LastActiveAt int64        `json:"lastActiveAt"`
	Identity     ConnIdentity `json:"identity"`
}

// ConnIdentity is the identity of a connection's client, as @connections GET shows it.
type ConnIdentity struct {
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent,omitempty"`
}

// Connection event kinds.
const (
	ConnConnect    = "connect"
	ConnActive     = "active"
	ConnDisconnect = "disconnect"
)

// ManageRequest is an @connections operation.
type ManageRequest struct {
	Op           string `json:"op"` // ManagePost, ManageGet, ManageDelete
	ConnectionID string `json:"connectionId"`
	APIID        string `json:"apiId,omitempty"`
	Stage        string `json:"stage,omitempty"`
	Data         []byte `json:"data,omitempty"` // base64 in JSON
	// Group names a broadcast group for ManageJoin, ManageLeave and ManageBroadcast.
	Group string `json:"group,omitempty"`
}

// Manage operations.
const (
	ManagePost   = "post"
	ManageGet    = "get"
	ManageDelete = "delete"
)

// ManageResponse answers a ManageRequest.
type ManageResponse struct {
	// Count answers ManageCount.
	Count      int             `json:"count,omitempty"`
	Code       string          `json:"code,omitempty"`
	Message    string          `json:"message,omitempty"`
	Connection *ConnectionInfo `json:"connection,omitempty"`
}

// ConnectionInfo is the @connections GET body, in AWS's shape.
type ConnectionInfo struct {
	ConnectedAt  string       `json:"connectedAt"`
	Identity     ConnIdentity `json:"identity"`
	LastActiveAt string       `json:"lastActiveAt"`
}

// Delivery is what connections forwards to the edge that holds a socket.
type Delivery struct {
	Op           string `json:"op"` // ManagePost, ManageDelete, ManageJoin, ManageLeave or ManageBroadcast
	ConnectionID string `json:"connectionId"`
	Data         []byte `json:"data,omitempty"`
	// Group, APIID and Stage address a ManageBroadcast (ConnectionID empty): every socket of
	// the API stage on the edge, or only the group's members when Group is set. Group is also
	// the group of a ManageJoin or ManageLeave.
	Group string `json:"group,omitempty"`
	APIID string `json:"apiId,omitempty"`
	Stage string `json:"stage,omitempty"`
}

// EdgeHeartbeat is published by every edge every HeartbeatInterval; ratelimit sizes leases
// from the number of live edges and connections marks an edge's sockets gone when it stops.
type EdgeHeartbeat struct {
	EdgeID string `json:"edgeId"`
	// Connections is how many sockets the edge holds.
	Connections int `json:"connections"`
}

// Marshal encodes a message. Messages are plain JSON; this is the one place that says so.
func Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// Unmarshal decodes a message.
func Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// UsagePlanLimits is a usage plan's throttle and quota as they apply to one API key on one stage
// (the plan's per-method throttle already resolved by authz where it has one).
type UsagePlanLimits struct {
	PlanID      string  `json:"planId"`
	Rate        float64 `json:"rate,omitempty"`
	Burst       int64   `json:"burst,omitempty"`
	QuotaLimit  int64   `json:"quotaLimit,omitempty"`
	QuotaPeriod string  `json:"quotaPeriod,omitempty"` // DAY, WEEK, MONTH
	QuotaOffset int     `json:"quotaOffset,omitempty"`
}

// UsageRequest reads (Set nil) or sets the usage of a quota key in its current period.
type UsageRequest struct {
	Key    string `json:"key"`
	Period string `json:"period"` // DAY, WEEK, MONTH
	Offset int    `json:"offset,omitempty"`
	Set    *int64 `json:"set,omitempty"`
	// FromDay and ToDay (UTC days since the Unix epoch), when ToDay is set, ask for the usage
	// of each day in between as well (get-usage).
	FromDay int64 `json:"fromDay,omitempty"`
	ToDay   int64 `json:"toDay,omitempty"`
}

// UsageReply answers a UsageRequest: the usage after the operation. Code is CodeBadRequest
// for invalid arguments and CodeUnavailable when the store is down.
type UsageReply struct {
	Used int64 `json:"used"`
	// Days is the usage of each day from FromDay to ToDay, when they were asked for.
	Days    []int64 `json:"days,omitempty"`
	Code    string  `json:"code,omitempty"`
	Message string  `json:"message,omitempty"`
}

// QuotaKey is the ratelimit key of an API key's quota on a usage plan, the one edges count
// requests against and admin's get-usage reads.
func QuotaKey(planID, apiKeyID string) string { return "quota/" + planID + "/" + apiKeyID }
