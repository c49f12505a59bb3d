package sigv4

import "net/http"

// AWS error types (the "__type" / x-amzn-ErrorType of an AWS JSON error).
const (
	TypeMissingAuthenticationToken = "MissingAuthenticationTokenException"
	TypeIncompleteSignature        = "IncompleteSignatureException"
	TypeUnrecognizedClient         = "UnrecognizedClientException"
	TypeInvalidSignature           = "InvalidSignatureException"
	TypeExpiredToken               = "ExpiredTokenException"
	TypeAccessDenied               = "AccessDenied"
	TypeContentSHA256Mismatch      = "XAmzContentSHA256Mismatch"
)

// API Gateway gateway-response types an edge renders for a failure (see
// model.GatewayResponse). All of them default to 403 in AWS.
const (
	CodeMissingAuthenticationToken = "MISSING_AUTHENTICATION_TOKEN"
	CodeInvalidSignature           = "INVALID_SIGNATURE"
	CodeExpiredToken               = "EXPIRED_TOKEN"
)

// AWS's messages, where they are fixed strings.
const (
	MsgMissingAuthenticationToken = "Missing Authentication Token"
	MsgUnrecognizedClient         = "The security token included in the request is invalid."
	MsgInvalidSignature           = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	MsgExpiredToken               = "The security token included in the request is expired"
	MsgRequestExpired             = "Request has expired"
	MsgContentSHA256Mismatch      = "The provided 'x-amz-content-sha256' header does not match what was computed."
)

// Error is a verification failure: the HTTP status, the AWS error type and
// message to send to the client, and the gateway-response type (Code) an API
// Gateway-style edge uses to pick its response template.
type Error struct {
	Status  int
	Type    string
	Message string
	Code    string
}

func (e *Error) Error() string { return e.Type + ": " + e.Message }

func errMissing() *Error {
	return &Error{Status: http.StatusForbidden, Type: TypeMissingAuthenticationToken, Message: MsgMissingAuthenticationToken, Code: CodeMissingAuthenticationToken}
}

func errIncomplete(msg string) *Error {
	return &Error{Status: http.StatusForbidden, Type: TypeIncompleteSignature, Message: msg, Code: CodeInvalidSignature}
}

func errUnrecognized() *Error {
	return &Error{Status: http.StatusForbidden, Type: TypeUnrecognizedClient, Message: MsgUnrecognizedClient, Code: CodeInvalidSignature}
}

func errSignature(msg string) *Error {
	return &Error{Status: http.StatusForbidden, Type: TypeInvalidSignature, Message: msg, Code: CodeInvalidSignature}
}

func errExpiredToken() *Error {
	return &Error{Status: http.StatusForbidden, Type: TypeExpiredToken, Message: MsgExpiredToken, Code: CodeExpiredToken}
}

func errPresignExpired() *Error {
	return &Error{Status: http.StatusForbidden, Type: TypeAccessDenied, Message: MsgRequestExpired, Code: CodeExpiredToken}
}

func errContentSHA256Mismatch() *Error {
	return &Error{Status: http.StatusBadRequest, Type: TypeContentSHA256Mismatch, Message: MsgContentSHA256Mismatch, Code: CodeInvalidSignature}
}
