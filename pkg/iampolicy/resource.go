package iampolicy

// EvaluateResourcePolicy evaluates an API's resource policy for a call of execute-api:Invoke
// on methodARN by principalARN ("" for a caller that is not an IAM principal: no
// authorization, an API key, a custom, JWT or Cognito authorizer) from sourceIP. An empty
// policy is ImplicitDeny with a nil error: whether that refuses the call depends on the
// authorization type (see Combine). The edge should parse a stage's policy once with Parse
// and call Policy.Evaluate per request; this function is the one-shot form.
func EvaluateResourcePolicy(policyJSON, principalARN, methodARN, sourceIP string) (Decision, error) {
	if policyJSON == "" {
		return ImplicitDeny, nil
	}
	p, err := Parse([]byte(policyJSON))
	if err != nil {
		return ImplicitDeny, err
	}
	return p.Evaluate(&Request{
		Action:    ActionInvoke,
		Resource:  methodARN,
		Principal: principalARN,
		SourceIP:  sourceIP,
	}), nil
}

// AuthType is how a method is authorized, for Combine.
type AuthType int

// Authorization types of Combine.
const (
	// AuthNone: no authorizer (API keys alone count as none).
	AuthNone AuthType = iota
	// AuthIAM: AWS_IAM with the caller in the API's own account.
	AuthIAM
	// AuthIAMCrossAccount: AWS_IAM with the caller in another account.
	AuthIAMCrossAccount
	// AuthCustom: a custom (Lambda) authorizer.
	AuthCustom
	// AuthCognito: a Cognito user pool authorizer (and, in Portico, a JWT authorizer).
	AuthCognito
)

// Combine is AWS's table of how a resource policy's decision and the authorizer's decision
// give the outcome ("How API Gateway resource policies affect authorization workflow"). It
// returns Allow or a deny (ExplicitDeny when either side denied explicitly, else
// ImplicitDeny). hasPolicy false means the API has no resource policy: the authorizer alone
// decides (and with AuthNone the call is allowed).
//
//	resource policy   authorizer            outcome
//	(any)             ExplicitDeny          deny
//	ExplicitDeny      (any)                 deny
//	AuthNone:
//	  Allow           —                     allow
//	  ImplicitDeny    —                     deny (a policy exists but does not allow)
//	AuthIAM (same account):
//	  Allow           Allow or Implicit     allow
//	  ImplicitDeny    Allow                 allow
//	  ImplicitDeny    ImplicitDeny          deny
//	AuthIAMCrossAccount: both must Allow.
//	AuthCustom, AuthCognito:
//	  Allow           Allow                 allow
//	  ImplicitDeny    Allow                 allow
//	  (any)           not Allow             deny
func Combine(hasPolicy bool, resource Decision, auth AuthType, authorizer Decision) Decision {
	if authorizer == ExplicitDeny || (hasPolicy && resource == ExplicitDeny) {
		return ExplicitDeny
	}
	if !hasPolicy {
		if auth == AuthNone {
			return Allow
		}
		return authorizer
	}
	switch auth {
	case AuthNone:
		return resource
	case AuthIAM:
		if resource == Allow || authorizer == Allow {
			return Allow
		}
		return ImplicitDeny
	case AuthIAMCrossAccount:
		if resource == Allow && authorizer == Allow {
			return Allow
		}
		return ImplicitDeny
	default: // AuthCustom, AuthCognito
		return authorizer
	}
}

// DenyMessage is AWS's message for a policy denial of action on resource by principal ("" =
// anonymous), as the edge writes it in {"Message":…}:
// "User: arn:aws:iam::123456789012:user/alice is not authorized to perform:
// execute-api:Invoke on resource: arn:aws:execute-api:… with an explicit deny".
func DenyMessage(principal, action, resource string, explicit bool) string {
	if principal == "" {
		principal = "anonymous"
	}
	m := "User: " + principal + " is not authorized to perform: " + action + " on resource: " + resource
	if explicit {
		m += " with an explicit deny"
	}
	return m
}
