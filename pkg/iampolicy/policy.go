// Package iampolicy parses and evaluates IAM-style policy documents as API Gateway uses them:
// identity policies of IAM users (execute-api:Invoke, execute-api:ManageConnections), the
// policies custom authorizers answer, and APIs' resource policies.
//
// Supported: Version, Statement as an object or a list, Sid, Effect (Allow|Deny),
// Action/NotAction, Resource/NotResource (string or list), Principal/NotPrincipal ("*",
// {"AWS": "*" | account id | ARN | list}), Condition with IpAddress / NotIpAddress
// (aws:SourceIp, IPv4 and IPv6, CIDR or single address), StringEquals / StringNotEquals /
// StringLike / StringNotLike / StringEqualsIgnoreCase. Wildcards "*" and "?" in actions
// (case-insensitive), resources and principal ARNs (case-sensitive); "*" spans "/" and ":".
// A resource "execute-api:/…" (resource-policy shorthand) stands for the API of the request's
// method ARN: arn:aws:execute-api:{region}:{account}:{apiId}/….
//
// Evaluation follows AWS: an explicit Deny wins, then an Allow, otherwise the request is
// implicitly denied. Condition keys absent from the request fail positive operators and pass
// negated ones (NotIpAddress, StringNotEquals, StringNotLike), as AWS evaluates them.
//
// Bounds: a document of at most MaxDocumentBytes, MaxStatements statements, MaxValues values
// per element, patterns of at most MaxPatternLen bytes. Anything else is an error, never a
// panic.
package iampolicy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Bounds of a document.
const (
	MaxDocumentBytes = 64 << 10
	MaxStatements    = 100
	MaxValues        = 200
	MaxPatternLen    = 2048
)

// Actions of API Gateway's execute-api service.
const (
	ActionInvoke            = "execute-api:Invoke"
	ActionManageConnections = "execute-api:ManageConnections"
)

// ErrInvalid wraps every parse error.
var ErrInvalid = errors.New("iampolicy: invalid policy document")

// Effects.
const (
	EffectAllow = "Allow"
	EffectDeny  = "Deny"
)

// Policy is a parsed policy document.
type Policy struct {
	Version    string
	Statements []Statement
}

// Statement is one parsed statement.
type Statement struct {
	Sid    string
	Effect string
	// Actions (or, with NotAction set, the actions it does not apply to).
	Actions   []string
	NotAction bool
	Resources []string
	// NotResource: the statement applies to every resource but Resources.
	NotResource bool
	// Principals is nil when the statement has no Principal element (identity policies);
	// with NotPrincipal set it lists the principals the statement does not apply to.
	Principals   []string
	NotPrincipal bool
	Conditions   []Condition
}

// Condition is one operator applied to one key with its values (any value matching makes
// the condition true; for negated operators, none matching).
type Condition struct {
	Operator string
	Key      string // lower case
	Values   []string
	prefixes []netip.Prefix
}

// Request is what a policy is evaluated against.
type Request struct {
	Action   string // e.g. ActionInvoke
	Resource string // the method ARN
	// Principal is the caller's ARN ("arn:aws:iam::123456789012:user/alice"), or "" for an
	// anonymous caller (who only matches Principal "*").
	Principal string
	// SourceIP is aws:SourceIp; invalid or empty means absent.
	SourceIP string
	// Keys holds other condition keys (lower-case names, e.g. "aws:sourcevpce").
	Keys map[string]string
}

// Decision is the result of an evaluation.
type Decision int

// Decisions. ImplicitDeny means no statement applied.
const (
	ImplicitDeny Decision = iota
	Allow
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "Allow"
	case ExplicitDeny:
		return "ExplicitDeny"
	default:
		return "ImplicitDeny"
	}
}

// document is the JSON shape; element fields are decoded by hand (string or list).
type document struct {
	Version   string          `json:"Version"`
	Statement json.RawMessage `json:"Statement"`
}

type rawStatement struct {
	Sid          json.RawMessage            `json:"Sid"`
	Effect       string                     `json:"Effect"`
	Action       json.RawMessage            `json:"Action"`
	NotAction    json.RawMessage            `json:"NotAction"`
	Resource     json.RawMessage            `json:"Resource"`
	NotResource  json.RawMessage            `json:"NotResource"`
	Principal    json.RawMessage            `json:"Principal"`
	NotPrincipal json.RawMessage            `json:"NotPrincipal"`
	Condition    map[string]json.RawMessage `json:"Condition"`
}

// Parse parses a policy document. A document given as a JSON string holding the document
// (AWS's PolicyDocument form, and how API Gateway stores resource policies) is accepted too.
func Parse(data []byte) (*Policy, error) {
	if len(data) > MaxDocumentBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrInvalid, len(data), MaxDocumentBytes)
	}
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '"' {
		var inner string
		if err := json.Unmarshal(data, &inner); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		data = bytes.TrimSpace([]byte(inner))
		if len(data) > 0 && data[0] == '"' {
			return nil, fmt.Errorf("%w: doubly quoted document", ErrInvalid)
		}
	}
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	raws, err := statementsOf(doc.Statement)
	if err != nil {
		return nil, err
	}
	p := &Policy{Version: doc.Version, Statements: make([]Statement, 0, len(raws))}
	for i := range raws {
		st, err := parseStatement(&raws[i])
		if err != nil {
			return nil, fmt.Errorf("statement %d: %w", i, err)
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

func statementsOf(raw json.RawMessage) ([]rawStatement, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, fmt.Errorf("%w: no Statement", ErrInvalid)
	}
	var list []rawStatement
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("%w: Statement: %v", ErrInvalid, err)
		}
	} else {
		var one rawStatement
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, fmt.Errorf("%w: Statement: %v", ErrInvalid, err)
		}
		list = []rawStatement{one}
	}
	if len(list) > MaxStatements {
		return nil, fmt.Errorf("%w: %d statements, more than %d", ErrInvalid, len(list), MaxStatements)
	}
	return list, nil
}

func parseStatement(r *rawStatement) (Statement, error) {
	var st Statement
	if len(r.Sid) > 0 {
		_ = json.Unmarshal(r.Sid, &st.Sid) // a non-string Sid is ignored
	}
	switch {
	case strings.EqualFold(r.Effect, EffectAllow):
		st.Effect = EffectAllow
	case strings.EqualFold(r.Effect, EffectDeny):
		st.Effect = EffectDeny
	default:
		return st, fmt.Errorf("%w: Effect %q", ErrInvalid, r.Effect)
	}
	var err error
	if st.Actions, st.NotAction, err = pair(r.Action, r.NotAction, "Action"); err != nil {
		return st, err
	}
	if st.Resources, st.NotResource, err = pair(r.Resource, r.NotResource, "Resource"); err != nil {
		return st, err
	}
	if len(r.Principal) > 0 && len(r.NotPrincipal) > 0 {
		return st, fmt.Errorf("%w: both Principal and NotPrincipal", ErrInvalid)
	}
	switch {
	case len(r.Principal) > 0:
		st.Principals, err = principals(r.Principal)
	case len(r.NotPrincipal) > 0:
		st.Principals, err = principals(r.NotPrincipal)
		st.NotPrincipal = true
	}
	if err != nil {
		return st, err
	}
	if st.Conditions, err = conditions(r.Condition); err != nil {
		return st, err
	}
	return st, nil
}

// pair decodes an element that has a Not form; exactly one of them must be present.
func pair(pos, neg json.RawMessage, name string) ([]string, bool, error) {
	switch {
	case len(pos) > 0 && len(neg) > 0:
		return nil, false, fmt.Errorf("%w: both %s and Not%s", ErrInvalid, name, name)
	case len(pos) > 0:
		v, err := stringOrList(pos, name)
		return v, false, err
	case len(neg) > 0:
		v, err := stringOrList(neg, "Not"+name)
		return v, true, err
	default:
		return nil, false, fmt.Errorf("%w: no %s or Not%s", ErrInvalid, name, name)
	}
}

// stringOrList decodes "x" or ["x", …] (at least one value, each at most MaxPatternLen).
func stringOrList(raw json.RawMessage, name string) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	var out []string
	if len(raw) > 0 && raw[0] == '[' {
		if err := json.Unmarshal(raw, &out); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
		}
	} else {
		var one string
		if err := json.Unmarshal(raw, &one); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrInvalid, name, err)
		}
		out = []string{one}
	}
	if len(out) == 0 || len(out) > MaxValues {
		return nil, fmt.Errorf("%w: %s has %d values (want 1 to %d)", ErrInvalid, name, len(out), MaxValues)
	}
	for _, v := range out {
		if len(v) > MaxPatternLen {
			return nil, fmt.Errorf("%w: %s value of %d bytes", ErrInvalid, name, len(v))
		}
	}
	return out, nil
}

// principals decodes "*" or {"AWS": …}. Other principal types (Service, Federated) are kept
// as never-matching entries.
func principals(raw json.RawMessage) ([]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || s != "*" {
			return nil, fmt.Errorf("%w: Principal must be \"*\" or an object", ErrInvalid)
		}
		return []string{"*"}, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: Principal: %v", ErrInvalid, err)
	}
	if len(m) == 0 {
		return nil, fmt.Errorf("%w: empty Principal", ErrInvalid)
	}
	out := []string{}
	for typ, v := range m {
		vals, err := stringOrList(v, "Principal."+typ)
		if err != nil {
			return nil, err
		}
		if typ != "AWS" {
			continue // a service or federated principal never signs execute-api requests
		}
		out = append(out, vals...)
	}
	return out, nil
}

// Condition operators.
const (
	OpIPAddress              = "IpAddress"
	OpNotIPAddress           = "NotIpAddress"
	OpStringEquals           = "StringEquals"
	OpStringNotEquals        = "StringNotEquals"
	OpStringEqualsIgnoreCase = "StringEqualsIgnoreCase"
	OpStringLike             = "StringLike"
	OpStringNotLike          = "StringNotLike"
)

func conditions(m map[string]json.RawMessage) ([]Condition, error) {
	var out []Condition
	for op, body := range m {
		switch op {
		case OpIPAddress, OpNotIPAddress, OpStringEquals, OpStringNotEquals,
			OpStringEqualsIgnoreCase, OpStringLike, OpStringNotLike:
		default:
			return nil, fmt.Errorf("%w: unsupported condition operator %q", ErrInvalid, op)
		}
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(body, &keys); err != nil {
			return nil, fmt.Errorf("%w: Condition %s: %v", ErrInvalid, op, err)
		}
		for key, v := range keys {
			vals, err := stringOrList(v, "Condition."+op+"."+key)
			if err != nil {
				return nil, err
			}
			c := Condition{Operator: op, Key: strings.ToLower(key), Values: vals}
			if op == OpIPAddress || op == OpNotIPAddress {
				if c.Key != "aws:sourceip" {
					return nil, fmt.Errorf("%w: %s on %q (only aws:SourceIp)", ErrInvalid, op, key)
				}
				for _, s := range vals {
					p, err := parsePrefix(s)
					if err != nil {
						return nil, fmt.Errorf("%w: %s %q: %v", ErrInvalid, op, s, err)
					}
					c.prefixes = append(c.prefixes, p)
				}
			}
			out = append(out, c)
			if len(out) > MaxValues {
				return nil, fmt.Errorf("%w: more than %d conditions", ErrInvalid, MaxValues)
			}
		}
	}
	return out, nil
}

// parsePrefix reads a CIDR or a single address (a /32 or /128).
func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return p, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()), nil
}
