package wire

import (
	"strings"
	"time"
)

// Version of the bus contract. See the package documentation for its history.
const Version = "v1"

// Prefix is the first tokens of every Portico subject.
const Prefix = "portico." + Version + "."

// Subjects.
const (
	// SubjectAuthzCheck takes an AuthzRequest and answers an AuthzDecision.
	SubjectAuthzCheck = Prefix + "authz.check"
	// SubjectAuthzInvalidate carries an Invalidation (publish, no reply).
	SubjectAuthzInvalidate = Prefix + "authz.invalidate"
	// SubjectRateLimitLease takes a LeaseRequest and answers a LeaseGrant.
	SubjectRateLimitLease = Prefix + "ratelimit.lease"
	// SubjectRateLimitUsage takes a UsageRequest and answers a UsageReply: a quota's usage in
	// its current period, read or set (admin's get-usage and update-usage).
	SubjectRateLimitUsage = Prefix + "ratelimit.usage"
	// SubjectConnRegister carries ConnEvents from edges (publish, no reply).
	SubjectConnRegister = Prefix + "connections.register"
	// SubjectConnManage takes a ManageRequest and answers a ManageResponse.
	SubjectConnManage = Prefix + "connections.manage"
	// SubjectEdgeHeartbeat carries EdgeHeartbeats (publish, no reply).
	SubjectEdgeHeartbeat = Prefix + "edge.heartbeat"
	// SubjectCacheFlush carries CacheFlushes from admin to every edge (publish, no reply;
	// edges subscribe without a queue group).
	SubjectCacheFlush = Prefix + "edge.cache.flush"

	// QueueAuthz, QueueRateLimit and QueueConnections are the queue groups the services
	// subscribe with, so that several instances share the load.
	QueueAuthz       = "portico-authz"
	QueueRateLimit   = "portico-ratelimit"
	QueueConnections = "portico-connections"
)

// EdgeDeliverSubject is where the edge with the given id takes Deliveries for its sockets.
func EdgeDeliverSubject(edgeID string) string { return Prefix + "edge." + edgeID + ".deliver" }

// AccessLogSubject is where edges publish the access log lines of a stage with access logging
// (no reply): the line is the payload, HeaderLogDestination the stage's destination ARN.
// Subscribe to AccessLogPrefix + ">" for every stage.
func AccessLogSubject(apiID, stage string) string {
	return AccessLogPrefix + apiID + "." + strings.ReplaceAll(stage, "$", "=")
}

// AccessLogPrefix starts every AccessLogSubject.
const AccessLogPrefix = Prefix + "logs.access."

// HeaderLogDestination carries an access log line's destination ARN (the stage's
// accessLogSettings.destinationArn).
const HeaderLogDestination = "Portico-Log-Destination"

// LambdaSubject is the default subject of an AWS_PROXY integration with a Lambda function.
func LambdaSubject(functionName string) string { return "lambda." + functionName }

// JetStream buckets and keys.
const (
	// ConfigBucket holds API definitions, deployments, stages and API keys.
	ConfigBucket = "portico_config"
	// ConnBucket holds the WebSocket connection registry.
	ConnBucket = "portico_connections"

	KeyStagesPrefix      = "stages."
	KeyAPIKeysPrefix     = "apikeys."
	KeyAPIKeyHashPrefix  = "apikeyhash."
	KeyRestAPIsPrefix    = "restapis."
	KeyDeploymentsPrefix = "deployments."
	KeyUsagePlansPrefix  = "usageplans."
	KeyPlanKeysPrefix    = "usageplankeys."
)

// KeyUsagePlan is the key of a usage plan (model.UsagePlan).
func KeyUsagePlan(planID string) string { return KeyUsagePlansPrefix + planID }

// KeyUsagePlanKey is the key binding API key keyID to usage plan planID (model.UsagePlanKey).
func KeyUsagePlanKey(planID, keyID string) string { return KeyPlanKeysPrefix + planID + "." + keyID }

// KeyDomainNamesPrefix prefixes custom domain names (model.DomainName, with their base path
// mappings) in ConfigBucket.
const KeyDomainNamesPrefix = "domainnames."

// KeyDomainName is the key of a custom domain name (lower case; its dots are key separators,
// so watch KeyDomainNamesPrefix + ">").
func KeyDomainName(name string) string { return KeyDomainNamesPrefix + strings.ToLower(name) }

// KeyRestAPI is the key of an API's working definition.
func KeyRestAPI(apiID string) string { return KeyRestAPIsPrefix + apiID }

// KeyDeployment is the key of one immutable deployment of an API.
func KeyDeployment(apiID, deploymentID string) string {
	return KeyDeploymentsPrefix + apiID + "." + deploymentID
}

// KeyStage is the key of a stage of an API. "$" (HTTP APIs' "$default" stage) is not allowed
// in KV keys and never in other stage names: it is written as "=".
func KeyStage(apiID, stage string) string {
	return KeyStagesPrefix + apiID + "." + strings.ReplaceAll(stage, "$", "=")
}

// KeyAPIKey is the key of an API key's record (which stores only the value's hash).
func KeyAPIKey(id string) string { return KeyAPIKeysPrefix + id }

// KeyAPIKeyHash indexes an API key's record by the hex SHA-256 of its value; the entry holds
// the key id as a JSON string.
func KeyAPIKeyHash(hash string) string { return KeyAPIKeyHashPrefix + hash }

// ParseStageKey splits a stage key into API id and stage name.
func ParseStageKey(key string) (apiID, stage string, ok bool) {
	rest, found := strings.CutPrefix(key, KeyStagesPrefix)
	if !found {
		return "", "", false
	}
	apiID, stage, ok = strings.Cut(rest, ".")
	return apiID, strings.ReplaceAll(stage, "=", "$"), ok && apiID != "" && stage != ""
}

// Reserved headers of the native integration message. The edge strips any request header that
// starts with HeaderPrefix before it adds its own, so a client cannot forge them.
const (
	HeaderPrefix       = "Portico-"
	HeaderMethod       = "Portico-Method"
	HeaderPath         = "Portico-Path"
	HeaderResourcePath = "Portico-Resource-Path"
	HeaderRouteKey     = "Portico-Route-Key"
	HeaderPathParams   = "Portico-Path-Params" // URL-encoded form: a=1&b=2
	HeaderQuery        = "Portico-Query"       // the raw query string
	HeaderAPIID        = "Portico-Api-Id"
	HeaderStage        = "Portico-Stage"
	HeaderRequestID    = "Portico-Request-Id"
	HeaderSourceIP     = "Portico-Source-Ip"
	HeaderPrincipalID  = "Portico-Principal-Id"
	HeaderAuthorizer   = "Portico-Authorizer-Context" // JSON object
	HeaderConnectionID = "Portico-Connection-Id"
	HeaderEventType    = "Portico-Event-Type" // CONNECT, MESSAGE, DISCONNECT
	HeaderStatus       = "Portico-Status"     // reply only; absent = 200
	// HeaderClientCertSubject, HeaderClientCertIssuer and HeaderClientCertSerial describe the
	// verified client certificate of a mutual-TLS request.
	HeaderClientCertSubject = "Portico-Client-Cert-Subject"
	HeaderClientCertIssuer  = "Portico-Client-Cert-Issuer"
	HeaderClientCertSerial  = "Portico-Client-Cert-Serial"
	HeaderVersion           = "Portico-Wire-Version"

	// HeaderTraceparent and HeaderTracestate carry W3C trace context, lower case as the W3C
	// spec writes them (NATS headers are case-sensitive).
	HeaderTraceparent = "traceparent"
	HeaderTracestate  = "tracestate"

	// HeaderServiceError and HeaderServiceErrorCode are nats.go micro's error headers.
	HeaderServiceError     = "Nats-Service-Error"
	HeaderServiceErrorCode = "Nats-Service-Error-Code"
)

// IsReserved reports whether an incoming HTTP header name must not be forwarded as is.
func IsReserved(name string) bool {
	return len(name) >= len(HeaderPrefix) && strings.EqualFold(name[:len(HeaderPrefix)], HeaderPrefix)
}

// HeartbeatInterval is how often every edge publishes an EdgeHeartbeat. An edge not heard from
// for HeartbeatTimeout is considered gone.
const (
	HeartbeatInterval = 1 * time.Second
	HeartbeatTimeout  = 5 * time.Second
)

// SubjectAuthzCredentials takes a CredentialsRequest and answers a CredentialsReply: the
// secret and policies of an IAM access key, so that an edge verifies SigV4 signatures and
// evaluates policies locally (authzclient caches the answer until an Invalidation names the
// key).
const SubjectAuthzCredentials = Prefix + "authz.credentials"

// AWS WAF web ACLs and IP sets (waf.WebACL, waf.IPSet as JSON) in ConfigBucket, by id. A
// record's KV revision is its LockToken's source, so every write is revision-checked. Edges
// watch KeyWAFPrefix + ">" and compile the web ACLs that stages name in their webAclArn.
const (
	KeyWAFPrefix       = "waf."
	KeyWebACLsPrefix   = KeyWAFPrefix + "webacls."
	KeyWAFIPSetsPrefix = KeyWAFPrefix + "ipsets."
)

// KeyWebACL is the key of a web ACL.
func KeyWebACL(id string) string { return KeyWebACLsPrefix + id }

// KeyWAFIPSet is the key of an IP set.
func KeyWAFIPSet(id string) string { return KeyWAFIPSetsPrefix + id }

// KeyIAMUsersPrefix prefixes the IAM credential records (model.IAMCredential) in ConfigBucket.
const KeyIAMUsersPrefix = "iam.users."

// KeyIAMUser is the key of the IAM credential record of an access key id.
func KeyIAMUser(accessKeyID string) string { return KeyIAMUsersPrefix + accessKeyID }

// Durable publishing for AWS integrations (SQS-SendMessage and EventBridge-PutEvents style
// subtypes): the edge publishes to JetStream and answers with the stream sequence.
const (
	// QueueStream captures QueueSubject for every queue.
	QueueStream = "PORTICO_QUEUES"
	// EventStream captures EventSubject for every event bus.
	EventStream = "PORTICO_EVENTS"
)

// QueueSubject is where a message sent to queue (the SQS queue name) is stored.
func QueueSubject(queue string) string { return Prefix + "queue." + queue }

// QueueSubjects is QueueStream's subject filter.
const QueueSubjects = Prefix + "queue.>"

// EventSubject is where an event put on bus (the EventBridge bus name, "default" when
// none) is stored.
func EventSubject(bus string) string { return Prefix + "events." + bus }

// EventSubjects is EventStream's subject filter.
const EventSubjects = Prefix + "events.>"
