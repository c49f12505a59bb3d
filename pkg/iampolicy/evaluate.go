package iampolicy

import (
	"net/netip"
	"strings"
)

// Evaluate evaluates r against p: ExplicitDeny if a Deny statement applies, else Allow if an
// Allow statement applies, else ImplicitDeny.
func (p *Policy) Evaluate(r *Request) Decision {
	if p == nil {
		return ImplicitDeny
	}
	return EvaluateAll([]*Policy{p}, r)
}

// EvaluateAll evaluates r against several policies together (an IAM user's policies): an
// explicit Deny in any of them wins, then an Allow in any of them.
func EvaluateAll(policies []*Policy, r *Request) Decision {
	ev := newEnv(r)
	allowed := false
	for _, p := range policies {
		if p == nil {
			continue
		}
		for i := range p.Statements {
			st := &p.Statements[i]
			if !st.applies(r, &ev) {
				continue
			}
			if st.Effect == EffectDeny {
				return ExplicitDeny
			}
			allowed = true
		}
	}
	if allowed {
		return Allow
	}
	return ImplicitDeny
}

// env is what a request's evaluation computes once.
type env struct {
	ip    netip.Addr
	hasIP bool
}

func newEnv(r *Request) env {
	var e env
	if a, err := netip.ParseAddr(strings.TrimSpace(r.SourceIP)); err == nil {
		e.ip, e.hasIP = a.Unmap().WithZone(""), true
	}
	return e
}

func (st *Statement) applies(r *Request, e *env) bool {
	if st.Principals != nil && matchPrincipals(st.Principals, r.Principal) == st.NotPrincipal {
		return false
	}
	if matchAny(st.Actions, r.Action, true, "") == st.NotAction {
		return false
	}
	if matchAny(st.Resources, r.Resource, false, r.Resource) == st.NotResource {
		return false
	}
	for i := range st.Conditions {
		if !st.Conditions[i].holds(r, e) {
			return false
		}
	}
	return true
}

func matchAny(patterns []string, s string, fold bool, resource string) bool {
	for _, p := range patterns {
		if !fold {
			p = expandShorthand(p, resource)
		}
		if Match(p, s, fold) {
			return true
		}
	}
	return false
}

// expandShorthand turns a resource policy's "execute-api:/stage/GET/path" into the full ARN
// of the API that resource (a method ARN) belongs to.
func expandShorthand(pattern, resource string) string {
	rest, ok := strings.CutPrefix(pattern, "execute-api:/")
	if !ok || !strings.HasPrefix(resource, "arn:") {
		return pattern
	}
	i := strings.IndexByte(resource, '/')
	if i < 0 {
		return pattern
	}
	return resource[:i+1] + rest
}

// matchPrincipals reports whether the caller (an ARN, "" = anonymous) is one of the
// principals: "*" is everyone, a 12-digit account id or arn:aws:iam::{account}:root is every
// principal of the account, an ARN (with wildcards) is itself.
func matchPrincipals(ps []string, caller string) bool {
	for _, p := range ps {
		if p == "*" {
			return true
		}
		if caller == "" {
			continue
		}
		if acct, ok := accountOf(p); ok {
			if callerAccount(caller) == acct {
				return true
			}
			continue
		}
		if Match(p, caller, false) {
			return true
		}
	}
	return false
}

// accountOf recognizes an account principal: "123456789012" or "arn:aws:iam::123456789012:root".
func accountOf(p string) (string, bool) {
	if isAccountID(p) {
		return p, true
	}
	if rest, ok := strings.CutPrefix(p, "arn:aws:iam::"); ok {
		if acct, ok := strings.CutSuffix(rest, ":root"); ok && isAccountID(acct) {
			return acct, true
		}
	}
	return "", false
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// callerAccount is the account field (the fifth) of an ARN.
func callerAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return ""
	}
	return parts[4]
}

func (c *Condition) holds(r *Request, e *env) bool {
	switch c.Operator {
	case OpIPAddress, OpNotIPAddress:
		neg := c.Operator == OpNotIPAddress
		if !e.hasIP {
			return neg
		}
		for _, p := range c.prefixes {
			if p.Contains(e.ip) {
				return !neg
			}
		}
		return neg
	}
	v, ok := conditionKey(r, c.Key)
	neg := c.Operator == OpStringNotEquals || c.Operator == OpStringNotLike
	if !ok {
		return neg
	}
	for _, want := range c.Values {
		var m bool
		switch c.Operator {
		case OpStringEquals, OpStringNotEquals:
			m = v == want
		case OpStringEqualsIgnoreCase:
			m = strings.EqualFold(v, want)
		case OpStringLike, OpStringNotLike:
			m = Match(want, v, false)
		}
		if m {
			return !neg
		}
	}
	return neg
}

func conditionKey(r *Request, key string) (string, bool) {
	switch key {
	case "aws:sourceip":
		return r.SourceIP, r.SourceIP != ""
	case "aws:principalarn":
		return r.Principal, r.Principal != ""
	}
	v, ok := r.Keys[key]
	return v, ok
}

// Match reports whether s matches pattern, where "*" matches any run of characters
// (including none, "/" and ":") and "?" any one character; fold compares ASCII letters
// case-insensitively. It runs in O(len(pattern)·len(s)) at worst, without recursion.
func Match(pattern, s string, fold bool) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && (pattern[p] == '?' || eq(pattern[p], s[i], fold)):
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}

func eq(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	if !fold {
		return false
	}
	if 'A' <= a && a <= 'Z' {
		a += 'a' - 'A'
	}
	if 'A' <= b && b <= 'Z' {
		b += 'a' - 'A'
	}
	return a == b
}

// MethodARN builds an execute-api method ARN:
// arn:aws:execute-api:{region}:{account}:{apiId}/{stage}/{METHOD}/{path without leading /}.
func MethodARN(region, account, apiID, stage, method, path string) string {
	return "arn:aws:execute-api:" + region + ":" + account + ":" + apiID + "/" + stage + "/" +
		method + "/" + strings.TrimPrefix(path, "/")
}
