package waf

import "errors"

// ValidationError is a structural problem in a web ACL or IP set. The admin API answers it as
// WAFInvalidParameterException with these three members.
type ValidationError struct {
	Field     string // AWS's ParameterExceptionField, e.g. "STATEMENT", "FIELD_TO_MATCH"
	Parameter string // the offending value
	Reason    string // a human sentence
}

// Error renders the error the way AWS WAF words its WAFInvalidParameterException messages.
func (e *ValidationError) Error() string {
	return "Error reason: " + e.Reason + ", field: " + e.Field + ", parameter: " + e.Parameter
}

// ErrIPSetNotFound is returned (wrapped) by Compile when a web ACL refers to an IP set ARN that
// is not in the map it was given.
var ErrIPSetNotFound = errors.New("waf: referenced IP set not found")

func invalid(field, parameter, reason string) *ValidationError {
	return &ValidationError{Field: field, Parameter: parameter, Reason: reason}
}
