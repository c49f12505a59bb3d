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
// WebSockets. The edge holding a socket registers it with a ConnEvent on SubjectConnRegister
// (and ConnEvent with Kind "disconnect" on close). The connections service keeps the registry in
// the ConnBucket KV bucket. @connections calls (from any edge, from admin, or from a backend on
// the bus) are ManageRequests on SubjectConnManage; connections looks up the owning edge and
// forwards a Delivery to EdgeDeliverSubject(edgeID), which writes the frame or closes the
// socket. An unknown or closed connection answers CodeGone (HTTP 410).
package wire
