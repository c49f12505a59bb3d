package waf

import (
	"slices"
)

// IPSetARNs lists every IPSetReferenceStatement ARN in the web ACL, deduplicated and sorted.
func (a *WebACL) IPSetARNs() []string {
	var arns []string
	for i := range a.Rules {
		a.Rules[i].Statement.walk(func(s *Statement) {
			if s.IPSetReferenceStatement != nil {
				arns = append(arns, s.IPSetReferenceStatement.ARN)
			}
		})
	}
	slices.Sort(arns)
	return slices.Compact(arns)
}

// walk calls fn on s and every statement nested in it.
func (s *Statement) walk(fn func(*Statement)) {
	fn(s)
	switch {
	case s.AndStatement != nil:
		for i := range s.AndStatement.Statements {
			s.AndStatement.Statements[i].walk(fn)
		}
	case s.OrStatement != nil:
		for i := range s.OrStatement.Statements {
			s.OrStatement.Statements[i].walk(fn)
		}
	case s.NotStatement != nil:
		s.NotStatement.Statement.walk(fn)
	}
}

// ComputeCapacity estimates the web ACL's capacity in WCUs after AWS's published table: byte
// match 2 (EXACTLY, STARTS_WITH, ENDS_WITH) or 10 (CONTAINS, CONTAINS_WORD), regex 3, size 1,
// IP set 1, geo 1, label 1; +10 per text transformation other than NONE; +10 when the field is
// AllQueryArguments; logical statements cost the sum of their children. It is an estimate: AWS
// computes the authoritative number and may differ for cases this table does not model.
func (a *WebACL) ComputeCapacity() int64 {
	var total int64
	for i := range a.Rules {
		a.Rules[i].Statement.walk(func(s *Statement) { total += s.ownCapacity() })
	}
	return total
}

func (s *Statement) ownCapacity() int64 {
	switch {
	case s.ByteMatchStatement != nil:
		m := s.ByteMatchStatement
		base := int64(2)
		if m.PositionalConstraint == "CONTAINS" || m.PositionalConstraint == "CONTAINS_WORD" {
			base = 10
		}
		return base + inspectionCapacity(&m.FieldToMatch, m.TextTransformations)
	case s.RegexMatchStatement != nil:
		return 3 + inspectionCapacity(&s.RegexMatchStatement.FieldToMatch, s.RegexMatchStatement.TextTransformations)
	case s.SizeConstraintStatement != nil:
		return 1 + inspectionCapacity(&s.SizeConstraintStatement.FieldToMatch, s.SizeConstraintStatement.TextTransformations)
	case s.IPSetReferenceStatement != nil, s.GeoMatchStatement != nil, s.LabelMatchStatement != nil:
		return 1
	}
	return 0
}

func inspectionCapacity(f *FieldToMatch, tts []TextTransformation) int64 {
	var n int64
	for _, t := range tts {
		if t.Type != "NONE" {
			n += 10
		}
	}
	if f.AllQueryArguments != nil {
		n += 10
	}
	return n
}
