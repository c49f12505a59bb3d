package authzclient

import (
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/portico/portico/pkg/iampolicy"
	"github.com/portico/portico/pkg/sigv4"
	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
)

// SigV4Service is the credential-scope service of execute-api requests.
const SigV4Service = "execute-api"

// GatewayAccessDenied is the gateway response type of an IAM policy denial.
const GatewayAccessDenied = "ACCESS_DENIED"

// maxPoliciesPerKey bounds the policies of one access key.
const maxPoliciesPerKey = 64

// iamCreds is a cached answer of wire.SubjectAuthzCredentials.
type iamCreds struct {
	found     bool
	cred      sigv4.Credentials
	principal string
	root      bool
	policies  []*iampolicy.Policy
}

// uncachedCreds carries credentials loaded while an invalidation arrived: used for the
// request that loaded them, never cached.
type uncachedCreds struct{ creds iamCreds }

func (*uncachedCreds) Error() string { return "authzclient: uncacheable credentials" }

func (c *Client) newCredentialCache() error {
	cache, err := otter.New(&otter.Options[string, iamCreds]{
		MaximumSize:      c.cfg.MaxCredentials,
		ExpiryCalculator: otter.ExpiryWriting[string, iamCreds](c.cfg.CredentialsTTL),
	})
	if err != nil {
		return fmt.Errorf("authzclient credentials cache: %w", err)
	}
	c.creds = cache
	c.verifier = &sigv4.Verifier{
		Service: SigV4Service,
		Region:  c.cfg.SigV4Region,
		Lookup:  c.lookupCreds,
	}
	return nil
}

// lookupCreds is the verifier's Lookup: from the cache (VerifySigV4 loaded the key just
// before), else loaded now; an authz outage then reads as an unknown key.
func (c *Client) lookupCreds(id string) (sigv4.Credentials, bool) {
	cr, ok := c.creds.GetIfPresent(id)
	if !ok {
		var err error
		if cr, err = c.loadCreds(context.Background(), id); err != nil {
			return sigv4.Credentials{}, false
		}
	}
	return cr.cred, cr.found
}

// dropCredentials forgets every cached credential.
func (c *Client) dropCredentials() {
	c.credGen.Add(1)
	if c.creds != nil {
		c.creds.InvalidateAll()
	}
}

func (c *Client) dropAccessKey(id string) {
	c.credGen.Add(1)
	c.creds.Invalidate(id)
}

// VerifySigV4 authorizes an IAM (AWS_IAM) request: the SigV4 signature is verified locally
// with the access key's secret (fetched once from authz over wire.SubjectAuthzCredentials and
// cached until an Invalidation names the key, or CredentialsTTL), then the key's policies
// are evaluated for execute-api:Invoke on methodARN (root credentials pass). Denials carry
// the gateway response type (INVALID_SIGNATURE, MISSING_AUTHENTICATION_TOKEN, EXPIRED_TOKEN,
// ACCESS_DENIED) and AWS's message; an ACCESS_DENIED is written {"Message":…}. The error is
// ErrUnavailable, ErrTimeout, ErrBadReply or the caller's context error.
func (c *Client) VerifySigV4(ctx context.Context, req *sigv4.Request, methodARN, sourceIP string) (wire.AuthzDecision, error) {
	return c.VerifySigV4Action(ctx, req, iampolicy.ActionInvoke, methodARN, sourceIP)
}

// VerifySigV4Action is VerifySigV4 for another action: iampolicy.ActionManageConnections
// for the @connections API (resource
// arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/@connections/{id}).
func (c *Client) VerifySigV4Action(ctx context.Context, req *sigv4.Request, action, resourceARN, sourceIP string) (wire.AuthzDecision, error) {
	var cr iamCreds
	loaded := false
	if id := AccessKeyIDOf(req); id != "" {
		var err error
		if cr, err = c.loadCreds(ctx, id); err != nil {
			return wire.AuthzDecision{}, err
		}
		loaded = true
	}
	ident, err := c.verifier.Verify(req)
	if err != nil {
		var se *sigv4.Error
		if !errors.As(err, &se) {
			return wire.AuthzDecision{}, err
		}
		code := wire.CodeForbidden
		if se.Status == 400 {
			code = wire.CodeBadRequest
		}
		return wire.AuthzDecision{Code: code, Message: se.Message, GatewayResponse: se.Code}, nil
	}
	if !loaded || ident.AccessKeyID != AccessKeyIDOf(req) {
		if cr, err = c.loadCreds(ctx, ident.AccessKeyID); err != nil {
			return wire.AuthzDecision{}, err
		}
	}
	if cr.root {
		return wire.AuthzDecision{Allow: true, PrincipalID: cr.principal}, nil
	}
	switch iampolicy.EvaluateAll(cr.policies, &iampolicy.Request{
		Action: action, Resource: resourceARN, Principal: cr.principal, SourceIP: sourceIP,
	}) {
	case iampolicy.Allow:
		return wire.AuthzDecision{Allow: true, PrincipalID: cr.principal}, nil
	case iampolicy.ExplicitDeny:
		return accessDenied(cr.principal, action, resourceARN, true), nil
	default:
		return accessDenied(cr.principal, action, resourceARN, false), nil
	}
}

func accessDenied(principal, action, resource string, explicit bool) wire.AuthzDecision {
	return wire.AuthzDecision{
		Code:            wire.CodeForbidden,
		Message:         iampolicy.DenyMessage(principal, action, resource, explicit),
		GatewayResponse: GatewayAccessDenied,
		CapitalMessage:  true,
		PrincipalID:     principal,
	}
}

// loadCreds returns an access key's credentials, from the cache or from authz (concurrent
// misses for one key send one request).
func (c *Client) loadCreds(ctx context.Context, id string) (iamCreds, error) {
	if cr, ok := c.creds.GetIfPresent(id); ok {
		return cr, nil
	}
	cr, err := c.creds.Get(ctx, id, otter.LoaderFunc[string, iamCreds](func(ctx context.Context, id string) (iamCreds, error) {
		gen := c.credGen.Load()
		cr, err := c.fetchCreds(ctx, id)
		if err != nil {
			return iamCreds{}, err
		}
		if c.credGen.Load() != gen {
			return iamCreds{}, &uncachedCreds{creds: cr}
		}
		return cr, nil
	}))
	if err != nil {
		var u *uncachedCreds
		if errors.As(err, &u) {
			return u.creds, nil
		}
		return iamCreds{}, err
	}
	return cr, nil
}

func (c *Client) fetchCreds(ctx context.Context, id string) (iamCreds, error) {
	ctx, span := c.tracer.Start(ctx, "authz credentials", trace.WithSpanKind(trace.SpanKindClient))
	defer span.End()
	body, err := wire.Marshal(wire.CredentialsRequest{AccessKeyID: id})
	if err != nil {
		return iamCreds{}, fmt.Errorf("encoding credentials request: %w", err)
	}
	msg := &nats.Msg{Subject: wire.SubjectAuthzCredentials, Data: body}
	telemetry.Inject(ctx, msg)
	rctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	reply, err := c.nc.RequestMsgWithContext(rctx, msg)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "credentials request failed")
		return iamCreds{}, c.mapError(ctx, err)
	}
	cr, err := c.decodeCreds(id, reply.Data)
	if err != nil {
		span.SetStatus(codes.Error, "malformed credentials reply")
		return iamCreds{}, err
	}
	span.SetAttributes(attribute.Bool("portico.authz.found", cr.found))
	return cr, nil
}

func (c *Client) decodeCreds(id string, data []byte) (iamCreds, error) {
	if len(data) > c.cfg.MaxReplyBytes {
		return iamCreds{}, fmt.Errorf("%w: %d bytes", ErrBadReply, len(data))
	}
	var rep wire.CredentialsReply
	if err := wire.Unmarshal(data, &rep); err != nil {
		return iamCreds{}, fmt.Errorf("%w: %v", ErrBadReply, err)
	}
	if rep.Code != "" {
		return iamCreds{}, fmt.Errorf("%w: code %s", ErrBadReply, rep.Code)
	}
	if !rep.Found {
		return iamCreds{}, nil
	}
	if len(rep.Policies) > maxPoliciesPerKey {
		return iamCreds{}, fmt.Errorf("%w: %d policies", ErrBadReply, len(rep.Policies))
	}
	cr := iamCreds{
		found:     true,
		cred:      sigv4.Credentials{AccessKeyID: id, SecretAccessKey: rep.SecretAccessKey, SessionToken: rep.SessionToken},
		principal: rep.PrincipalARN,
		root:      rep.Root,
	}
	if rep.Expires > 0 {
		cr.cred.Expires = time.UnixMilli(rep.Expires)
	}
	for _, raw := range rep.Policies {
		p, err := iampolicy.Parse(raw)
		if err != nil {
			return iamCreds{}, fmt.Errorf("%w: policy: %v", ErrBadReply, err)
		}
		cr.policies = append(cr.policies, p)
	}
	return cr, nil
}

// AccessKeyIDOf returns the access key id a SigV4 request names, in its Authorization header
// (Credential=AKID/…) or presigned query (X-Amz-Credential=AKID%2F…), or "" when it names
// none. It does not validate the rest: the verifier does.
func AccessKeyIDOf(r *sigv4.Request) string {
	if r == nil {
		return ""
	}
	var hdr string
	switch {
	case r.HeaderValues != nil:
		if v := r.HeaderValues("authorization"); len(v) > 0 {
			hdr = v[0]
		}
	case r.Header != nil:
		if v := r.Header[textproto.CanonicalMIMEHeaderKey("authorization")]; len(v) > 0 {
			hdr = v[0]
		} else if v := r.Header["authorization"]; len(v) > 0 {
			hdr = v[0]
		}
	}
	if hdr != "" {
		_, rest, ok := strings.Cut(hdr, "Credential=")
		if !ok {
			return ""
		}
		id, _, ok := strings.Cut(rest, "/")
		if !ok || len(id) > 128 {
			return ""
		}
		return strings.TrimSpace(id)
	}
	q := r.RawQuery
	for q != "" {
		var pair string
		pair, q, _ = strings.Cut(q, "&")
		k, v, _ := strings.Cut(pair, "=")
		if k != "X-Amz-Credential" {
			continue
		}
		v, err := url.QueryUnescape(v)
		if err != nil {
			return ""
		}
		id, _, ok := strings.Cut(v, "/")
		if !ok || len(id) > 128 {
			return ""
		}
		return id
	}
	return ""
}
