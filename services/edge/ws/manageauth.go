package ws

import (
	"context"
	"strings"

	"github.com/portico/portico/pkg/authzclient"
	"github.com/portico/portico/pkg/iampolicy"
	"github.com/portico/portico/pkg/sigv4"
	"github.com/portico/portico/pkg/wire"
	"github.com/valyala/fasthttp"
)

// ManageAuthRequest is an @connections call to authorize.
type ManageAuthRequest struct {
	Sig          *sigv4.Request // the HTTP request as the verifier needs it
	APIID, Stage string
	Method       string // POST, GET or DELETE
	ConnectionID string
	SourceIP     string
}

// ManageAuthFunc authorizes an @connections call. A refusal is a decision with Allow false and
// Code, Message and GatewayResponse set (as pkg/authzclient writes them); an error means the
// decision could not be made (answered 503), except a *sigv4.Error, which is a refusal
// answered with its status, AWS error type and message.
type ManageAuthFunc func(ctx context.Context, r ManageAuthRequest) (wire.AuthzDecision, error)

// IAMVerifier verifies a SigV4 request signed with IAM credentials and evaluates their
// policies for action on resourceARN; *authzclient.Client implements it.
type IAMVerifier interface {
	VerifySigV4Action(ctx context.Context, req *sigv4.Request, action, resourceARN, sourceIP string) (wire.AuthzDecision, error)
}

// SigV4Auth authorizes @connections calls as AWS does: SigV4-signed (service execute-api),
// admin credentials always allowed, other credentials through IAM with
// execute-api:ManageConnections on
// arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/@connections/{id}.
type SigV4Auth struct {
	Admin     []sigv4.Credentials // always allowed
	IAM       IAMVerifier         // nil: only admin credentials are known
	Region    string              // required credential-scope region; "" accepts any
	AccountID string              // account in the resource ARN; "" means DefaultAccountID
}

// DefaultAccountID is the account of resource ARNs when none is configured.
const DefaultAccountID = "000000000000"

// Func returns the ManageAuthFunc of a.
func (a SigV4Auth) Func() ManageAuthFunc {
	admin := make(map[string]sigv4.Credentials, len(a.Admin))
	for _, c := range a.Admin {
		if c.AccessKeyID != "" {
			admin[c.AccessKeyID] = c
		}
	}
	v := &sigv4.Verifier{
		Service: authzclient.SigV4Service,
		Region:  a.Region,
		Lookup: func(id string) (sigv4.Credentials, bool) {
			c, ok := admin[id]
			return c, ok
		},
	}
	account := a.AccountID
	if account == "" {
		account = DefaultAccountID
	}
	return func(ctx context.Context, r ManageAuthRequest) (wire.AuthzDecision, error) {
		id := authzclient.AccessKeyIDOf(r.Sig)
		if _, ok := admin[id]; ok || id == "" || a.IAM == nil {
			// Unsigned requests and unknown keys get the verifier's own AWS error.
			ident, err := v.Verify(r.Sig)
			if err != nil {
				return wire.AuthzDecision{}, err // a *sigv4.Error: refused with its AWS error
			}
			return wire.AuthzDecision{Allow: true, PrincipalID: ident.AccessKeyID}, nil
		}
		region := scopeRegion(r.Sig)
		if region == "" {
			region = a.Region
		}
		arn := iampolicy.MethodARN(region, account, r.APIID, r.Stage, r.Method, "@connections/"+r.ConnectionID)
		return a.IAM.VerifySigV4Action(ctx, r.Sig, iampolicy.ActionManageConnections, arn, r.SourceIP)
	}
}

// scopeRegion returns the region of the request's credential scope, or "".
func scopeRegion(r *sigv4.Request) string {
	var cred string
	if v := r.HeaderValues("authorization"); len(v) > 0 {
		_, cred, _ = strings.Cut(v[0], "Credential=")
		cred, _, _ = strings.Cut(cred, ",")
	} else {
		for _, kv := range strings.Split(r.RawQuery, "&") {
			if k, val, _ := strings.Cut(kv, "="); k == "X-Amz-Credential" {
				cred = strings.ReplaceAll(strings.ReplaceAll(val, "%2F", "/"), "%2f", "/")
				break
			}
		}
	}
	parts := strings.Split(strings.TrimSpace(cred), "/")
	if len(parts) != 5 || len(parts[2]) > 64 {
		return ""
	}
	return parts[2]
}

// sigRequest describes an @connections call for the SigV4 verifier.
func sigRequest(ctx *fasthttp.RequestCtx) *sigv4.Request {
	return &sigv4.Request{
		Method:   string(ctx.Method()),
		RawPath:  string(ctx.URI().PathOriginal()),
		RawQuery: string(ctx.URI().QueryString()),
		Host:     string(ctx.Host()),
		HeaderValues: func(name string) []string {
			var out []string
			for _, v := range ctx.Request.Header.PeekAll(name) {
				out = append(out, string(v))
			}
			return out
		},
		Body: ctx.PostBody(),
	}
}

// errorTypeOfGateway maps a refusal's gateway response type to the x-amzn-ErrorType AWS sends.
var errorTypeOfGateway = map[string]string{
	sigv4.CodeMissingAuthenticationToken: sigv4.TypeMissingAuthenticationToken,
	sigv4.CodeInvalidSignature:           sigv4.TypeInvalidSignature,
	sigv4.CodeExpiredToken:               sigv4.TypeExpiredToken,
	authzclient.GatewayAccessDenied:      "AccessDeniedException",
}
