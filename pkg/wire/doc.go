// Package wire is Portico's bus contract: every NATS subject, header name, JetStream bucket and
// key, message type and error code that two Portico components exchange. Anywhere else in the
// tree, a literal subject or reserved header name is a bug.
//
// # Version
//
// Version is the contract's version. Subjects carry it as their second token
// ("portico.v1.…") so that two incompatible generations can share one NATS cluster. A change
// that renames or removes a subject, header or field bumps the version; adding an optional
// field does not.
//
//   - v1 (this file): authz check and invalidation, ratelimit leases, connection registry and
//     @connections management, edge delivery, native integration message, config KV layout.
//
// # Flows
//
// Configuration. admin writes API definitions, immutable deployments and stages into the
// JetStream KV bucket ConfigBucket (keys built by the Key* functions). Every edge watches the
// stage keys; when a stage points at a new deployment the edge loads the deployment (immutable,
// so cached forever), compiles a route table and swaps it in atomically.
//
// Authorization. For a route that needs it, the edge sends an AuthzRequest to SubjectAuthzCheck
// and caches the AuthzDecision for Decision.TTLSeconds, keyed by the identity sources. When an
// API key record changes in ConfigBucket, every authz instance, once it has applied the change
// to its index, publishes an Invalidation on SubjectAuthzInvalidate; edges drop every cached
// decision made with that key, so a revoked key is refused on every edge at once. A JWT
// authorizer travels in the request (AuthzRequest.JWT, Token, Scopes); authz verifies the token
// against the issuer's key set and never lets an allow outlive the token.
//
// Custom authorizers. A route with a custom (Lambda-style) authorizer sends AuthzRequest.Custom
// (CustomAuthorizer: id, TOKEN|REQUEST, FunctionSubject = AuthorizerSubject(authorizerUri),
// identity sources, validation expression, payload format, simple responses, TTL) plus the
// request facts (Headers, MultiValueHeaders, Query, MultiValueQuery, RawQuery, PathParams,
// StageVariables, Context, RequestID, ResourcePath, AccountID, RouteKey, SourceIP, MethodARN).
// A missing identity source is 401 before any hop (authzclient) and again in authz. authz
// builds AWS's authorizer event (aws-lambda-go's APIGatewayCustomAuthorizerRequest for TOKEN,
// APIGatewayCustomAuthorizerRequestTypeRequest for REQUEST, APIGatewayV2CustomAuthorizerV1Request
// and APIGatewayV2CustomAuthorizerV2Request for HTTP API payloads 1.0 and 2.0), sends it as a
// NATS request (JSON, trace context in headers) to FunctionSubject and maps the answer:
//
//	function answer                                   decision
//	policy allowing MethodARN                         Allow, PrincipalID, Context, UsageKey, Policy
//	policy denying / not allowing MethodARN           Forbidden, ACCESS_DENIED, CapitalMessage,
//	                                                  "User is not authorized to access this resource with an explicit deny", Policy
//	simple response isAuthorized true / false         Allow, Context / Forbidden "Forbidden"
//	micro error "Unauthorized", {"errorMessage":"Unauthorized"}   Unauthorized (401), UNAUTHORIZED
//	other error, malformed answer                     InternalError, AUTHORIZER_CONFIGURATION_ERROR
//	timeout (10 s), no responders                     InternalError, AUTHORIZER_FAILURE
//
// AuthzDecision.GatewayResponse names the gateway response type the edge renders; with
// CapitalMessage the body is {"Message":…}. TTLSeconds is the authorizer's TTL (default 300,
// 0 = not cached, max 3600). authzclient caches a decision under (API, stage, authorizer id,
// identity-source values, API key); a Policy is cached whole and each request's MethodARN is
// evaluated against it locally, as AWS does.
//
// IAM (SigV4). The edge verifies signatures itself (pkg/sigv4, authzclient.VerifySigV4): it
// asks SubjectAuthzCredentials once per access key (CredentialsRequest → CredentialsReply:
// secret, session token, expiry, principal ARN, identity policies, root) and caches the answer.
// authz answers from the IAM credential records (model.IAMCredential under KeyIAMUser in
// ConfigBucket, written by admin) and from its admin credentials (Root: every IAM check
// passes). When a record changes, authz publishes an Invalidation with AccessKeyID; edges drop
// that key's cached credentials.
//
// Throttling. The edge spends tokens from local leases. When a lease runs dry it sends a
// LeaseRequest to SubjectRateLimitLease; ratelimit takes up to Want tokens from the bucket in
// Redis (one atomic script) and answers with a LeaseGrant that expires after ExpiresMillis.
//
// Integrations. A NATS_PROXY integration sends the native message: the HTTP body as the NATS
// payload (raw bytes), the HTTP request headers as NATS headers, plus the reserved Header*
// headers (method, path, resource path, path parameters, query, stage, request id, source ip,
// authorizer principal and context). The reply's payload is the response body, HeaderStatus its
// status (absent = 200) and its other headers the response headers. A reply carrying the micro
// error headers (Nats-Service-Error-Code) maps to that status with a gateway error body.
//
// Stage cache. Each edge caches REST responses of stages with cacheClusterEnabled in its own
// memory. admin's FlushStageCache and FlushStageAuthorizersCache publish a CacheFlush (API,
// stage, scope "data" or "authorizers") on SubjectCacheFlush; every edge subscribes (no
// queue group) and empties that stage's response cache, or its cached authorizer decisions.
// A flush is best effort, as AWS's: an edge that is down holds no cache to flush.
//
// Access logs. A stage with accessLogSettings has every edge publish one line per request, in
// the stage's $context format, on AccessLogSubject(api, stage) with the destination ARN in
// HeaderLogDestination (publish, no reply; nothing is kept unless a subscriber or a JetStream
// stream takes them).
//
// WebSockets. The edge holding a socket registers it with a ConnEvent on SubjectConnRegister
// (and ConnEvent with Kind "disconnect" on close). The connections service keeps the registry in
// the ConnBucket KV bucket. @connections calls (from any edge, from admin, or from a backend on
// the bus) are ManageRequests on SubjectConnManage; connections looks up the owning edge and
// forwards a Delivery to EdgeDeliverSubject(edgeID), which writes the frame or closes the
// socket. An unknown or closed connection answers CodeGone (HTTP 410).
package wire
