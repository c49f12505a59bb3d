package waf

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/http/httpguts"
)

var (
	namePattern       = regexp.MustCompile(`^[\w\-]+$`)
	labelPattern      = regexp.MustCompile(`^[0-9A-Za-z_\-:]+$`)
	metricNamePattern = regexp.MustCompile(`^[\w#:\.\-/]+$`)
	headerNamePattern = regexp.MustCompile(`^[a-zA-Z0-9\-]+$`)
	wordPattern       = regexp.MustCompile(`^[A-Za-z0-9_]+$`)
)

// Validate checks a web ACL's structure: names, actions, priorities, statements and bounds. It
// does not resolve IP set ARNs (Compile does). The error is a *ValidationError.
func (a *WebACL) Validate() error {
	if err := checkName("WEB_ACL", a.Name); err != nil {
		return err
	}
	if len(a.Description) > MaxDescriptionLen {
		return invalid("WEB_ACL", a.Description, fmt.Sprintf("The description must be at most %d characters", MaxDescriptionLen))
	}
	if err := checkVisibility(a.VisibilityConfig); err != nil {
		return err
	}
	if err := a.validateBodies(); err != nil {
		return err
	}
	if err := a.validateDefaultAction(); err != nil {
		return err
	}
	if len(a.Rules) > MaxRules {
		return invalid("ENTITY_LIMIT", strconv.Itoa(len(a.Rules)), fmt.Sprintf("A web ACL can have at most %d rules", MaxRules))
	}
	v := validator{acl: a}
	names := make(map[string]bool, len(a.Rules))
	priorities := make(map[int64]bool, len(a.Rules))
	for i := range a.Rules {
		r := &a.Rules[i]
		if err := checkName("RULE", r.Name); err != nil {
			return err
		}
		if names[r.Name] {
			return invalid("RULE", r.Name, "Rule names must be unique within a web ACL")
		}
		names[r.Name] = true
		if r.Priority < 0 {
			return invalid("RULE", strconv.FormatInt(r.Priority, 10), "A rule priority must be 0 or more")
		}
		if priorities[r.Priority] {
			return invalid("RULE", strconv.FormatInt(r.Priority, 10), "Rule priorities must be unique within a web ACL")
		}
		priorities[r.Priority] = true
		if err := v.rule(r); err != nil {
			return err
		}
	}
	return nil
}

func (a *WebACL) validateBodies() error {
	if len(a.CustomResponseBodies) > MaxCustomBodies {
		return invalid("CUSTOM_RESPONSE_BODY", strconv.Itoa(len(a.CustomResponseBodies)), fmt.Sprintf("A web ACL can have at most %d custom response bodies", MaxCustomBodies))
	}
	keys := make([]string, 0, len(a.CustomResponseBodies))
	for k := range a.CustomResponseBodies {
		keys = append(keys, k)
	}
	slices.Sort(keys) // report the same problem first every time
	for _, k := range keys {
		b := a.CustomResponseBodies[k]
		if err := checkName("CUSTOM_RESPONSE_BODY", k); err != nil {
			return err
		}
		if _, ok := contentTypes[b.ContentType]; !ok {
			return invalid("RESPONSE_CONTENT_TYPE", b.ContentType, "ContentType must be TEXT_PLAIN, TEXT_HTML or APPLICATION_JSON")
		}
		if len(b.Content) == 0 || len(b.Content) > MaxCustomBodyLen {
			return invalid("CUSTOM_RESPONSE_BODY", k, fmt.Sprintf("A custom response body must be 1 to %d bytes", MaxCustomBodyLen))
		}
	}
	return nil
}

func (a *WebACL) validateDefaultAction() error {
	d := a.DefaultAction
	if (d.Allow == nil) == (d.Block == nil) {
		return invalid("DEFAULT_ACTION", "", "The default action must have exactly one of Allow or Block")
	}
	if d.Allow != nil && d.Allow.CustomRequestHandling != nil {
		return invalid("CUSTOM_REQUEST_HANDLING", "Allow", "CustomRequestHandling is not supported by Portico")
	}
	if d.Block != nil {
		return a.checkCustomResponse(d.Block.CustomResponse)
	}
	return nil
}

func (a *WebACL) checkCustomResponse(c *CustomResponse) error {
	if c == nil {
		return nil
	}
	if c.ResponseCode < 200 || c.ResponseCode > 599 {
		return invalid("CUSTOM_RESPONSE", strconv.Itoa(c.ResponseCode), "ResponseCode must be between 200 and 599")
	}
	if c.CustomResponseBodyKey != "" {
		if _, ok := a.CustomResponseBodies[c.CustomResponseBodyKey]; !ok {
			return invalid("CUSTOM_RESPONSE", c.CustomResponseBodyKey, "CustomResponseBodyKey must name one of the web ACL's CustomResponseBodies")
		}
	}
	if len(c.ResponseHeaders) > MaxCustomHeaders {
		return invalid("CUSTOM_RESPONSE", strconv.Itoa(len(c.ResponseHeaders)), fmt.Sprintf("A custom response can have at most %d headers", MaxCustomHeaders))
	}
	for _, h := range c.ResponseHeaders {
		if len(h.Name) > MaxFieldNameLen || !httpguts.ValidHeaderFieldName(h.Name) {
			return invalid("CUSTOM_RESPONSE", h.Name, "A response header name must be an HTTP token of 1 to 64 characters")
		}
		if len(h.Value) == 0 || len(h.Value) > MaxHeaderValueLen || strings.ContainsAny(h.Value, "\r\n\x00") {
			return invalid("CUSTOM_RESPONSE", h.Name, "A response header value must be 1 to 255 characters without CR, LF or NUL")
		}
	}
	return nil
}

type validator struct {
	acl        *WebACL
	statements int
}

func (v *validator) rule(r *Rule) error {
	if r.OverrideAction != nil {
		return invalid("OVERRIDE_ACTION", r.Name, "OverrideAction applies only to rule group statements, which are not supported by Portico; use Action")
	}
	if err := checkVisibility(r.VisibilityConfig); err != nil {
		return err
	}
	if err := v.action(r); err != nil {
		return err
	}
	if len(r.RuleLabels) > MaxRuleLabels {
		return invalid("RULE", r.Name, fmt.Sprintf("A rule can add at most %d labels", MaxRuleLabels))
	}
	for _, l := range r.RuleLabels {
		if len(l.Name) > MaxLabelLen || !labelPattern.MatchString(l.Name) {
			return invalid("RULE", l.Name, "A rule label must match ^[0-9A-Za-z_\\-:]+$ and be at most 1024 characters")
		}
	}
	return v.statement(&r.Statement, 1)
}

func (v *validator) action(r *Rule) error {
	a := r.Action
	if a == nil {
		return invalid("RULE_ACTION", r.Name, "A rule needs an Action")
	}
	if a.Captcha != nil {
		return invalid("RULE_ACTION", "Captcha", "The Captcha action is not supported by Portico")
	}
	if a.Challenge != nil {
		return invalid("RULE_ACTION", "Challenge", "The Challenge action is not supported by Portico")
	}
	set := 0
	for _, b := range []bool{a.Allow != nil, a.Block != nil, a.Count != nil} {
		if b {
			set++
		}
	}
	if set != 1 {
		return invalid("RULE_ACTION", r.Name, "A rule action must have exactly one of Allow, Block or Count")
	}
	switch {
	case a.Allow != nil && a.Allow.CustomRequestHandling != nil, a.Count != nil && a.Count.CustomRequestHandling != nil:
		return invalid("CUSTOM_REQUEST_HANDLING", r.Name, "CustomRequestHandling is not supported by Portico")
	case a.Block != nil:
		return v.acl.checkCustomResponse(a.Block.CustomResponse)
	}
	return nil
}

// unsupported lists the statement kinds that decode and are rejected, with their field names.
func (s *Statement) unsupported() (kind, field string) {
	switch {
	case s.RateBasedStatement != nil:
		return "RateBasedStatement", "RATE_BASED_STATEMENT"
	case s.SqliMatchStatement != nil:
		return "SqliMatchStatement", "SQLI_MATCH_STATEMENT"
	case s.XssMatchStatement != nil:
		return "XssMatchStatement", "XSS_MATCH_STATEMENT"
	case s.ManagedRuleGroupStatement != nil:
		return "ManagedRuleGroupStatement", "MANAGED_RULE_SET_STATEMENT"
	case s.RuleGroupReferenceStatement != nil:
		return "RuleGroupReferenceStatement", "RULE_GROUP_REFERENCE_STATEMENT"
	case s.RegexPatternSetReferenceStatement != nil:
		return "RegexPatternSetReferenceStatement", "REGEX_PATTERN_REFERENCE_STATEMENT"
	case s.AsnMatchStatement != nil:
		return "AsnMatchStatement", "STATEMENT"
	}
	return "", ""
}

func (s *Statement) kinds() int {
	n := 0
	for _, set := range []bool{
		s.ByteMatchStatement != nil, s.IPSetReferenceStatement != nil, s.SizeConstraintStatement != nil,
		s.RegexMatchStatement != nil, s.GeoMatchStatement != nil, s.AndStatement != nil, s.OrStatement != nil,
		s.NotStatement != nil, s.LabelMatchStatement != nil, s.RateBasedStatement != nil,
		s.SqliMatchStatement != nil, s.XssMatchStatement != nil, s.ManagedRuleGroupStatement != nil,
		s.RuleGroupReferenceStatement != nil, s.RegexPatternSetReferenceStatement != nil, s.AsnMatchStatement != nil,
	} {
		if set {
			n++
		}
	}
	return n
}

func (v *validator) statement(s *Statement, depth int) error {
	if depth > MaxDepth {
		return invalid("STATEMENT", strconv.Itoa(depth), fmt.Sprintf("Statements can be nested at most %d deep", MaxDepth))
	}
	v.statements++
	if v.statements > MaxStatements {
		return invalid("ENTITY_LIMIT", strconv.Itoa(v.statements), fmt.Sprintf("A web ACL can hold at most %d statements", MaxStatements))
	}
	if s.kinds() != 1 {
		return invalid("STATEMENT", "", "A statement must have exactly one statement type set")
	}
	if kind, field := s.unsupported(); kind != "" {
		return invalid(field, kind, kind+" is not supported by Portico")
	}
	switch {
	case s.ByteMatchStatement != nil:
		return byteMatchValid(s.ByteMatchStatement)
	case s.RegexMatchStatement != nil:
		m := s.RegexMatchStatement
		if len(m.RegexString) == 0 || len(m.RegexString) > MaxRegex {
			return invalid("STATEMENT", m.RegexString, fmt.Sprintf("RegexString must be 1 to %d characters", MaxRegex))
		}
		if _, err := regexp.Compile(m.RegexString); err != nil {
			return invalid("STATEMENT", m.RegexString, "RegexString is not a valid regular expression: "+err.Error())
		}
		return inspectionValid(&m.FieldToMatch, m.TextTransformations)
	case s.SizeConstraintStatement != nil:
		m := s.SizeConstraintStatement
		if _, ok := comparisons[m.ComparisonOperator]; !ok {
			return invalid("SIZE_CONSTRAINT_STATEMENT", m.ComparisonOperator, "ComparisonOperator must be EQ, NE, LE, LT, GE or GT")
		}
		if m.Size < 0 || m.Size > MaxSize {
			return invalid("SIZE_CONSTRAINT_STATEMENT", strconv.FormatInt(m.Size, 10), "Size must be between 0 and 21474836480")
		}
		return inspectionValid(&m.FieldToMatch, m.TextTransformations)
	case s.IPSetReferenceStatement != nil:
		return ipSetReferenceValid(s.IPSetReferenceStatement)
	case s.GeoMatchStatement != nil:
		return invalid("GEO_MATCH_STATEMENT", "GeoMatchStatement", "GeoMatchStatement is not supported by Portico: it has no geolocation database")
	case s.LabelMatchStatement != nil:
		m := s.LabelMatchStatement
		if m.Scope != "LABEL" && m.Scope != "NAMESPACE" {
			return invalid("LABEL_MATCH_STATEMENT", m.Scope, "Scope must be LABEL or NAMESPACE")
		}
		if len(m.Key) > MaxLabelLen || !labelPattern.MatchString(m.Key) {
			return invalid("LABEL_MATCH_STATEMENT", m.Key, "Key must match ^[0-9A-Za-z_\\-:]+$ and be at most 1024 characters")
		}
		return nil
	case s.AndStatement != nil:
		return v.nested("AND_STATEMENT", s.AndStatement.Statements, depth)
	case s.OrStatement != nil:
		return v.nested("OR_STATEMENT", s.OrStatement.Statements, depth)
	default: // NotStatement
		return v.statement(&s.NotStatement.Statement, depth+1)
	}
}

func (v *validator) nested(field string, list []Statement, depth int) error {
	if len(list) < 2 || len(list) > MaxNested {
		return invalid(field, strconv.Itoa(len(list)), fmt.Sprintf("A logical statement needs 2 to %d nested statements", MaxNested))
	}
	for i := range list {
		if err := v.statement(&list[i], depth+1); err != nil {
			return err
		}
	}
	return nil
}

func byteMatchValid(m *ByteMatchStatement) error {
	if len(m.SearchString) == 0 || len(m.SearchString) > MaxSearchString {
		return invalid("BYTE_MATCH_STATEMENT", string(m.SearchString), fmt.Sprintf("SearchString must be 1 to %d bytes", MaxSearchString))
	}
	if _, ok := positionals[m.PositionalConstraint]; !ok {
		return invalid("POSITIONAL_CONSTRAINT", m.PositionalConstraint, "PositionalConstraint must be EXACTLY, STARTS_WITH, ENDS_WITH, CONTAINS or CONTAINS_WORD")
	}
	if m.PositionalConstraint == "CONTAINS_WORD" && !wordPattern.Match(m.SearchString) {
		return invalid("BYTE_MATCH_STATEMENT", string(m.SearchString), "With CONTAINS_WORD the SearchString may hold only A-Z, a-z, 0-9 and _")
	}
	return inspectionValid(&m.FieldToMatch, m.TextTransformations)
}

func ipSetReferenceValid(m *IPSetReferenceStatement) error {
	if !strings.HasPrefix(m.ARN, "arn:") || len(m.ARN) > 2048 {
		return invalid("RESOURCE_ARN", m.ARN, "ARN must be the ARN of an IP set")
	}
	f := m.IPSetForwardedIPConfig
	if f == nil {
		return nil
	}
	if len(f.HeaderName) > maxForwardedHeaderLength || !headerNamePattern.MatchString(f.HeaderName) {
		return invalid("HEADER_NAME", f.HeaderName, "HeaderName must match ^[a-zA-Z0-9-]+$ and be 1 to 255 characters")
	}
	if f.FallbackBehavior != "MATCH" && f.FallbackBehavior != "NO_MATCH" {
		return invalid("FALLBACK_BEHAVIOR", f.FallbackBehavior, "FallbackBehavior must be MATCH or NO_MATCH")
	}
	if _, ok := positions[f.Position]; !ok {
		return invalid("POSITION", f.Position, "Position must be FIRST, LAST or ANY")
	}
	return nil
}

// inspectionValid checks a FieldToMatch and its text transformations.
func inspectionValid(f *FieldToMatch, tts []TextTransformation) error {
	if err := fieldValid(f); err != nil {
		return err
	}
	if len(tts) == 0 || len(tts) > MaxTransformations {
		return invalid("TEXT_TRANSFORMATION", strconv.Itoa(len(tts)), fmt.Sprintf("A statement needs 1 to %d text transformations (NONE for none)", MaxTransformations))
	}
	seen := make(map[int64]bool, len(tts))
	for _, t := range tts {
		if t.Priority < 0 || seen[t.Priority] {
			return invalid("TEXT_TRANSFORMATION", strconv.FormatInt(t.Priority, 10), "Text transformation priorities must be 0 or more and unique within a statement")
		}
		seen[t.Priority] = true
		if _, ok := transforms[t.Type]; !ok {
			if knownTransforms[t.Type] {
				return invalid("TEXT_TRANSFORMATION", t.Type, "Text transformation "+t.Type+" is not supported by Portico")
			}
			return invalid("TEXT_TRANSFORMATION", t.Type, "Unknown text transformation type")
		}
	}
	return nil
}

func fieldValid(f *FieldToMatch) error {
	unsupported := []struct {
		set  bool
		name string
	}{
		{f.Cookies != nil, "Cookies"}, {f.JsonBody != nil, "JsonBody"}, {f.Headers != nil, "Headers"},
		{f.HeaderOrder != nil, "HeaderOrder"}, {f.JA3Fingerprint != nil, "JA3Fingerprint"},
		{f.JA4Fingerprint != nil, "JA4Fingerprint"}, {f.UriFragment != nil, "UriFragment"},
	}
	n := 0
	for _, u := range unsupported {
		if u.set {
			n++
		}
	}
	for _, set := range []bool{f.UriPath != nil, f.QueryString != nil, f.Method != nil, f.SingleHeader != nil,
		f.SingleQueryArgument != nil, f.AllQueryArguments != nil, f.Body != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return invalid("FIELD_TO_MATCH", "", "FieldToMatch must have exactly one member set")
	}
	for _, u := range unsupported {
		if u.set {
			return invalid("FIELD_TO_MATCH", u.name, "FieldToMatch "+u.name+" is not supported by Portico")
		}
	}
	switch {
	case f.SingleHeader != nil:
		if len(f.SingleHeader.Name) > MaxFieldNameLen || !httpguts.ValidHeaderFieldName(f.SingleHeader.Name) {
			return invalid("SINGLE_HEADER", f.SingleHeader.Name, "SingleHeader Name must be an HTTP token of 1 to 64 characters")
		}
	case f.SingleQueryArgument != nil:
		if n := len(f.SingleQueryArgument.Name); n == 0 || n > MaxFieldNameLen {
			return invalid("SINGLE_QUERY_ARGUMENT", f.SingleQueryArgument.Name, "SingleQueryArgument Name must be 1 to 64 characters")
		}
	case f.Body != nil:
		switch f.Body.OversizeHandling {
		case "", "CONTINUE", "MATCH", "NO_MATCH":
		default:
			return invalid("OVERSIZE_HANDLING", f.Body.OversizeHandling, "OversizeHandling must be CONTINUE, MATCH or NO_MATCH")
		}
	}
	return nil
}

func checkName(field, name string) error {
	if len(name) == 0 || len(name) > MaxNameLen || !namePattern.MatchString(name) {
		return invalid(field, name, "The name must match ^[\\w\\-]+$ and be 1 to 128 characters")
	}
	return nil
}

func checkVisibility(c *VisibilityConfig) error {
	if c == nil {
		return nil
	}
	if len(c.MetricName) == 0 || len(c.MetricName) > 255 || !metricNamePattern.MatchString(c.MetricName) {
		return invalid("METRIC_NAME", c.MetricName, "MetricName must match ^[\\w#:\\.\\-/]+$ and be 1 to 255 characters")
	}
	return nil
}
