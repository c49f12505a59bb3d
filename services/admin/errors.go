package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// apiError is an AWS REST-JSON error: a status, the x-amzn-ErrorType and a public message.
type apiError struct {
	Status  int
	Type    string
	Message string
}

func (e *apiError) Error() string { return e.Type + ": " + e.Message }

func notFound(format string, args ...any) *apiError {
	return &apiError{http.StatusNotFound, "NotFoundException", fmt.Sprintf(format, args...)}
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "BadRequestException", fmt.Sprintf(format, args...)}
}

func conflict(format string, args ...any) *apiError {
	return &apiError{http.StatusConflict, "ConflictException", fmt.Sprintf(format, args...)}
}

// validationError is AWS's ValidationException listing each constraint a request violates.
func validationError(violations ...string) error {
	n := "1 validation error"
	if len(violations) != 1 {
		n = fmt.Sprintf("%d validation errors", len(violations))
	}
	return &apiError{http.StatusBadRequest, "ValidationException", n + " detected: " + strings.Join(violations, "; ")}
}

// unsupportedPatch is AWS's answer to a patch operation on a path it does not take: for a
// replace, the paths that can be replaced (when given); for another op, a hint to choose one.
func unsupportedPatch(p patchOp, replaceable ...string) error {
	if p.Op == "replace" && len(replaceable) > 0 {
		return badRequest("Invalid patch path  '%s' specified for op 'replace'. Must be one of: [%s]", p.Path, strings.Join(replaceable, ", "))
	}
	return badRequest("Invalid patch path  '%s' specified for op '%s'. Please choose supported operations", p.Path, p.Op)
}

// errOnlyReplace is AWS's answer to an op other than replace on a scalar path.
func errOnlyReplace() error {
	return badRequest("Invalid patch operation specified. Must be one of: [replace]")
}

// badPatchPath is AWS's short answer for a path that names no member (or a whole map).
func badPatchPath(path string) error { return badRequest("Invalid patch path %s", path) }

var (
	errTooLarge = &apiError{http.StatusRequestEntityTooLarge, "PayloadTooLargeException", "Request body is too large"}
	errInternal = &apiError{http.StatusInternalServerError, "InternalServerErrorException", "Internal server error"}
)

// errConflict is the store's sentinel for a lost revision race or an existing key.
var errConflict = errors.New("revision conflict")

// errNotFound is the store's sentinel for a missing key.
var errNotFound = errors.New("key not found")

func writeError(w http.ResponseWriter, e *apiError, _ error) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("x-amzn-ErrorType", e.Type)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": e.Message})
}

// writeJSON11Error writes e in the JSON 1.1 protocol's shape (wafv2): {"__type", "Message"},
// with WAFInvalidParameterException's Field, Parameter and Reason when cause carries them.
func writeJSON11Error(w http.ResponseWriter, e *apiError, cause error) {
	body := map[string]string{"__type": e.Type, "Message": e.Message}
	var pe *wafParamError
	if errors.As(cause, &pe) {
		body["Field"], body["Parameter"], body["Reason"] = pe.ve.Field, pe.ve.Parameter, pe.ve.Reason
	}
	w.Header().Set("Content-Type", wafContentType)
	w.Header().Set("x-amzn-ErrorType", e.Type)
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
