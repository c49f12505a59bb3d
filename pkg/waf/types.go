package waf

import "encoding/json"

// IPSet is a WAFv2 IP set: a named list of CIDR ranges of one IP version.
type IPSet struct {
	Name, Id, ARN    string
	Description      string `json:",omitempty"`
	IPAddressVersion string // IPV4 | IPV6
	Addresses        []string
}

// WebACL is a WAFv2 web ACL as the JSON 1.1 protocol carries it.
type WebACL struct {
	Name, Id, ARN            string
	Description              string `json:",omitempty"`
	DefaultAction            DefaultAction
	Rules                    []Rule            `json:",omitempty"`
	VisibilityConfig         *VisibilityConfig `json:",omitempty"`
	Capacity                 int64
	ManagedByFirewallManager bool
	LabelNamespace           string                        `json:",omitempty"` // "awswaf:<account>:webacl:<name>:"
	CustomResponseBodies     map[string]CustomResponseBody `json:",omitempty"`
}

// MarshalJSON writes Rules as [] when there are none, as AWS does.
func (a WebACL) MarshalJSON() ([]byte, error) {
	type plain WebACL
	type withRules struct {
		plain
		Rules []Rule
	}
	w := withRules{plain: plain(a), Rules: a.Rules}
	if w.Rules == nil {
		w.Rules = []Rule{}
	}
	return json.Marshal(w)
}

// DefaultAction is what a web ACL does with a request no rule terminated: exactly one member.
type DefaultAction struct {
	Allow *AllowAction `json:",omitempty"`
	Block *BlockAction `json:",omitempty"`
}

// RuleAction is what a matching rule does: exactly one member.
type RuleAction struct {
	Allow     *AllowAction     `json:",omitempty"`
	Block     *BlockAction     `json:",omitempty"`
	Count     *CountAction     `json:",omitempty"`
	Captcha   *json.RawMessage `json:",omitempty"` // rejected by Validate
	Challenge *json.RawMessage `json:",omitempty"` // rejected by Validate
}

// AllowAction lets the request through. CustomRequestHandling (inserting request headers) is
// decoded so that Validate can reject it.
type AllowAction struct {
	CustomRequestHandling *json.RawMessage `json:",omitempty"`
}

// CountAction records the match and continues. CustomRequestHandling is rejected by Validate.
type CountAction struct {
	CustomRequestHandling *json.RawMessage `json:",omitempty"`
}

// BlockAction stops the request, with AWS WAF's 403 or a custom response.
type BlockAction struct {
	CustomResponse *CustomResponse `json:",omitempty"`
}

// CustomResponse replaces the default block response.
type CustomResponse struct {
	ResponseCode          int
	CustomResponseBodyKey string             `json:",omitempty"`
	ResponseHeaders       []CustomHTTPHeader `json:",omitempty"`
}

// CustomHTTPHeader is one response header of a CustomResponse.
type CustomHTTPHeader struct {
	Name, Value string
}

// CustomResponseBody is a body a CustomResponse refers to by key.
type CustomResponseBody struct {
	ContentType string // TEXT_PLAIN | TEXT_HTML | APPLICATION_JSON
	Content     string
}

// Rule is one rule of a web ACL.
type Rule struct {
	Name             string
	Priority         int64
	Statement        Statement
	Action           *RuleAction       `json:",omitempty"`
	OverrideAction   *json.RawMessage  `json:",omitempty"` // only for rule groups: rejected
	RuleLabels       []Label           `json:",omitempty"`
	VisibilityConfig *VisibilityConfig `json:",omitempty"`
}

// Label is a label a matching rule adds to the request.
type Label struct {
	Name string
}

// VisibilityConfig is CloudWatch and sampling configuration; Portico stores it and ignores it.
type VisibilityConfig struct {
	SampledRequestsEnabled, CloudWatchMetricsEnabled bool
	MetricName                                       string
}

// Statement is a rule statement: exactly one member set. The *json.RawMessage members are the
// statement kinds Portico decodes only to reject them with a clear reason.
type Statement struct {
	ByteMatchStatement      *ByteMatchStatement      `json:",omitempty"`
	IPSetReferenceStatement *IPSetReferenceStatement `json:",omitempty"`
	SizeConstraintStatement *SizeConstraintStatement `json:",omitempty"`
	RegexMatchStatement     *RegexMatchStatement     `json:",omitempty"`
	GeoMatchStatement       *GeoMatchStatement       `json:",omitempty"`
	AndStatement            *AndStatement            `json:",omitempty"`
	OrStatement             *OrStatement             `json:",omitempty"`
	NotStatement            *NotStatement            `json:",omitempty"`
	LabelMatchStatement     *LabelMatchStatement     `json:",omitempty"`

	RateBasedStatement                *json.RawMessage `json:",omitempty"`
	SqliMatchStatement                *json.RawMessage `json:",omitempty"`
	XssMatchStatement                 *json.RawMessage `json:",omitempty"`
	ManagedRuleGroupStatement         *json.RawMessage `json:",omitempty"`
	RuleGroupReferenceStatement       *json.RawMessage `json:",omitempty"`
	RegexPatternSetReferenceStatement *json.RawMessage `json:",omitempty"`
	AsnMatchStatement                 *json.RawMessage `json:",omitempty"`
}

// ByteMatchStatement looks for SearchString in a part of the request.
type ByteMatchStatement struct {
	SearchString         []byte // base64 in JSON, as AWS's blob type
	FieldToMatch         FieldToMatch
	TextTransformations  []TextTransformation
	PositionalConstraint string // EXACTLY | STARTS_WITH | ENDS_WITH | CONTAINS | CONTAINS_WORD
}

// RegexMatchStatement matches a regular expression (Go's RE2 syntax) against a part of the request.
type RegexMatchStatement struct {
	RegexString         string
	FieldToMatch        FieldToMatch
	TextTransformations []TextTransformation
}

// SizeConstraintStatement compares the length in bytes of a part of the request with Size.
type SizeConstraintStatement struct {
	FieldToMatch        FieldToMatch
	ComparisonOperator  string // EQ | NE | LE | LT | GE | GT
	Size                int64
	TextTransformations []TextTransformation
}

// IPSetReferenceStatement matches the client address, or one from a header, against an IP set.
type IPSetReferenceStatement struct {
	ARN                    string
	IPSetForwardedIPConfig *IPSetForwardedIPConfig `json:",omitempty"`
}

// IPSetForwardedIPConfig takes the address from a header such as X-Forwarded-For.
type IPSetForwardedIPConfig struct {
	HeaderName       string
	FallbackBehavior string // MATCH | NO_MATCH
	Position         string // FIRST | LAST | ANY
}

// GeoMatchStatement is decoded and rejected: Portico has no geolocation database.
type GeoMatchStatement struct {
	CountryCodes      []string         `json:",omitempty"`
	ForwardedIPConfig *json.RawMessage `json:",omitempty"`
}

// AndStatement matches when every nested statement matches.
type AndStatement struct {
	Statements []Statement
}

// OrStatement matches when any nested statement matches.
type OrStatement struct {
	Statements []Statement
}

// NotStatement negates its statement.
type NotStatement struct {
	Statement Statement
}

// LabelMatchStatement matches labels added by rules evaluated earlier.
type LabelMatchStatement struct {
	Scope string // LABEL | NAMESPACE
	Key   string
}

// FieldToMatch names the part of the request to inspect: exactly one member set. The
// *json.RawMessage members are decoded only to be rejected.
type FieldToMatch struct {
	UriPath             *struct{}            `json:",omitempty"`
	QueryString         *struct{}            `json:",omitempty"`
	Method              *struct{}            `json:",omitempty"`
	SingleHeader        *SingleHeader        `json:",omitempty"`
	SingleQueryArgument *SingleQueryArgument `json:",omitempty"`
	AllQueryArguments   *struct{}            `json:",omitempty"`
	Body                *Body                `json:",omitempty"`

	Cookies        *json.RawMessage `json:",omitempty"`
	JsonBody       *json.RawMessage `json:",omitempty"`
	Headers        *json.RawMessage `json:",omitempty"`
	HeaderOrder    *json.RawMessage `json:",omitempty"`
	JA3Fingerprint *json.RawMessage `json:",omitempty"`
	JA4Fingerprint *json.RawMessage `json:",omitempty"`
	UriFragment    *json.RawMessage `json:",omitempty"`
}

// SingleHeader inspects one header, named case-insensitively.
type SingleHeader struct {
	Name string
}

// SingleQueryArgument inspects the values of one query argument, named case-insensitively.
type SingleQueryArgument struct {
	Name string
}

// Body inspects the first BodyInspectionLimit bytes of the body.
type Body struct {
	OversizeHandling string `json:",omitempty"` // CONTINUE (default) | MATCH | NO_MATCH
}

// TextTransformation is applied to the inspected field before matching, in ascending Priority.
type TextTransformation struct {
	Priority int64
	Type     string
}
