package waf

import (
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

var contentTypes = map[string]string{
	"TEXT_PLAIN":       "text/plain",
	"TEXT_HTML":        "text/html",
	"APPLICATION_JSON": "application/json",
}

const (
	posExactly = iota
	posStartsWith
	posEndsWith
	posContains
	posContainsWord
)

var positionals = map[string]int{
	"EXACTLY": posExactly, "STARTS_WITH": posStartsWith, "ENDS_WITH": posEndsWith,
	"CONTAINS": posContains, "CONTAINS_WORD": posContainsWord,
}

const (
	opEQ = iota
	opNE
	opLE
	opLT
	opGE
	opGT
)

var comparisons = map[string]int{"EQ": opEQ, "NE": opNE, "LE": opLE, "LT": opLT, "GE": opGE, "GT": opGT}

const (
	posFirst = iota
	posLast
	posAny
)

var positions = map[string]int{"FIRST": posFirst, "LAST": posLast, "ANY": posAny}

type actionKind int

const (
	actAllow actionKind = iota
	actBlock
	actCount
)

// Program is a compiled web ACL. It is immutable and safe for concurrent use.
type Program struct {
	arn           string
	rules         []compiledRule
	defaultBlock  bool
	defaultCustom *Response
	pool          sync.Pool // *evalState
}

type compiledRule struct {
	name   string
	match  matcher
	action actionKind
	custom *Response
	labels []string // fully qualified
}

// Compile validates a web ACL and compiles it against the IP sets it refers to (by ARN). An ARN
// missing from ipsets is an error wrapping ErrIPSetNotFound; a structural problem is a
// *ValidationError.
func Compile(a *WebACL, ipsets map[string]*IPSet) (*Program, error) {
	if err := a.Validate(); err != nil {
		return nil, err
	}
	c := compiler{acl: a, ipsets: ipsets, tables: map[string]*ipTable{}}
	p := &Program{arn: a.ARN}
	p.pool.New = func() any { return new(evalState) }
	if b := a.DefaultAction.Block; b != nil {
		p.defaultBlock = true
		p.defaultCustom = c.response(b.CustomResponse)
	}
	rules := slices.Clone(a.Rules)
	slices.SortFunc(rules, func(x, y Rule) int { return cmp.Compare(x.Priority, y.Priority) })
	prefix := labelPrefix(a.LabelNamespace)
	for i := range rules {
		r := &rules[i]
		m, err := c.statement(&r.Statement)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.Name, err)
		}
		cr := compiledRule{name: r.Name, match: m}
		switch {
		case r.Action.Allow != nil:
			cr.action = actAllow
		case r.Action.Block != nil:
			cr.action = actBlock
			cr.custom = c.response(r.Action.Block.CustomResponse)
		default:
			cr.action = actCount
		}
		for _, l := range r.RuleLabels {
			cr.labels = append(cr.labels, prefix+l.Name)
		}
		p.rules = append(p.rules, cr)
	}
	return p, nil
}

// ARN is the compiled web ACL's ARN.
func (p *Program) ARN() string { return p.arn }

type compiler struct {
	acl    *WebACL
	ipsets map[string]*IPSet
	tables map[string]*ipTable
}

func (c *compiler) response(cr *CustomResponse) *Response {
	if cr == nil {
		return nil
	}
	r := &Response{Status: cr.ResponseCode}
	for _, h := range cr.ResponseHeaders {
		r.Headers = append(r.Headers, [2]string{h.Name, h.Value})
	}
	if cr.CustomResponseBodyKey != "" {
		b := c.acl.CustomResponseBodies[cr.CustomResponseBodyKey]
		r.ContentType = contentTypes[b.ContentType]
		r.Body = []byte(b.Content)
	}
	return r
}

// statement compiles a validated statement.
func (c *compiler) statement(s *Statement) (matcher, error) {
	switch {
	case s.ByteMatchStatement != nil:
		m := s.ByteMatchStatement
		return &byteMatch{in: c.inspection(&m.FieldToMatch, m.TextTransformations), search: m.SearchString, pos: positionals[m.PositionalConstraint]}, nil
	case s.RegexMatchStatement != nil:
		m := s.RegexMatchStatement
		return &regexMatch{in: c.inspection(&m.FieldToMatch, m.TextTransformations), re: regexp.MustCompile(m.RegexString)}, nil
	case s.SizeConstraintStatement != nil:
		m := s.SizeConstraintStatement
		return &sizeMatch{in: c.inspection(&m.FieldToMatch, m.TextTransformations), op: comparisons[m.ComparisonOperator], size: m.Size}, nil
	case s.IPSetReferenceStatement != nil:
		return c.ipMatch(s.IPSetReferenceStatement)
	case s.LabelMatchStatement != nil:
		return c.labelMatch(s.LabelMatchStatement), nil
	case s.AndStatement != nil:
		list, err := c.list(s.AndStatement.Statements)
		return andMatch(list), err
	case s.OrStatement != nil:
		list, err := c.list(s.OrStatement.Statements)
		return orMatch(list), err
	case s.NotStatement != nil:
		m, err := c.statement(&s.NotStatement.Statement)
		return notMatch{m}, err
	}
	return nil, invalid("STATEMENT", "", "unsupported statement") // Validate rejects these first
}

func (c *compiler) list(ss []Statement) ([]matcher, error) {
	out := make([]matcher, 0, len(ss))
	for i := range ss {
		m, err := c.statement(&ss[i])
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func (c *compiler) inspection(f *FieldToMatch, tts []TextTransformation) inspection {
	var in inspection
	switch {
	case f.UriPath != nil:
		in.field = fieldUriPath
	case f.QueryString != nil:
		in.field = fieldQueryString
	case f.Method != nil:
		in.field = fieldMethod
	case f.SingleHeader != nil:
		in.field, in.name = fieldHeader, f.SingleHeader.Name
	case f.SingleQueryArgument != nil:
		in.field, in.name = fieldQueryArgument, f.SingleQueryArgument.Name
	case f.AllQueryArguments != nil:
		in.field = fieldAllQueryArguments
	case f.Body != nil:
		in.field = fieldBody
		switch f.Body.OversizeHandling {
		case "MATCH":
			in.oversize = oversizeMatch
		case "NO_MATCH":
			in.oversize = oversizeNoMatch
		}
	}
	sorted := slices.Clone(tts)
	slices.SortFunc(sorted, func(x, y TextTransformation) int { return cmp.Compare(x.Priority, y.Priority) })
	for _, t := range sorted {
		if fn := transforms[t.Type]; fn != nil {
			in.transforms = append(in.transforms, fn)
		}
	}
	return in
}

func (c *compiler) ipMatch(s *IPSetReferenceStatement) (matcher, error) {
	t, ok := c.tables[s.ARN]
	if !ok {
		set := c.ipsets[s.ARN]
		if set == nil {
			return nil, fmt.Errorf("%w: %s", ErrIPSetNotFound, s.ARN)
		}
		var err error
		if t, err = newIPTable(set); err != nil {
			return nil, err
		}
		c.tables[s.ARN] = t
	}
	m := &ipMatch{table: t}
	if f := s.IPSetForwardedIPConfig; f != nil {
		m.header = f.HeaderName
		m.fallback = f.FallbackBehavior == "MATCH"
		m.position = positions[f.Position]
	}
	return m, nil
}

// labelMatch resolves a key given without the "awswaf:" prefix against the web ACL's own
// namespace, as AWS does for labels added in the same context.
func (c *compiler) labelMatch(s *LabelMatchStatement) matcher {
	m := &labelMatch{namespace: s.Scope == "NAMESPACE", key: s.Key}
	if m.namespace && !strings.HasSuffix(m.key, ":") {
		m.key += ":"
	}
	if !strings.HasPrefix(m.key, "awswaf:") {
		m.local, m.context = true, labelPrefix(c.acl.LabelNamespace)
	}
	return m
}

// labelPrefix is the namespace a web ACL's labels start with: its LabelNamespace, ending in ':'.
func labelPrefix(ns string) string {
	if ns != "" && !strings.HasSuffix(ns, ":") {
		return ns + ":"
	}
	return ns
}
