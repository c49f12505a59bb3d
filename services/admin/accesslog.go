package admin

import (
	"strings"

	"github.com/portico/portico/pkg/model"
)

// maxAccessLogFormat is AWS's bound on an access log format (3 KB).
const maxAccessLogFormat = 3 << 10

// checkAccessLog validates a stage's access log settings as AWS does: a CloudWatch Logs log
// group or Firehose delivery stream ARN, and a format that names the request id.
func checkAccessLog(a *model.AccessLogSettings) error {
	if a == nil {
		return nil
	}
	if a.DestinationARN == "" && a.Format == "" {
		return nil
	}
	if a.DestinationARN == "" {
		return badRequest("Access log destination must be specified when a format is set")
	}
	if !strings.HasPrefix(a.DestinationARN, "arn:aws:logs:") && !strings.HasPrefix(a.DestinationARN, "arn:aws:firehose:") {
		return badRequest("Invalid ARN specified in the request")
	}
	if len(a.Format) > maxAccessLogFormat {
		return badRequest("Access Log format must be at most %d characters", maxAccessLogFormat)
	}
	if a.Format != "" && !strings.Contains(a.Format, "$context.requestId") && !strings.Contains(a.Format, "$context.extendedRequestId") {
		return badRequest("Access Log format must contain at least one of $context.requestId or $context.extendedRequestId")
	}
	return nil
}

// isAccessLogPath reports whether a stage patch path is one of /accessLogSettings[/…].
func isAccessLogPath(path string) bool {
	return path == "/accessLogSettings" || strings.HasPrefix(path, "/accessLogSettings/")
}

// applyAccessLogPatch applies remove /accessLogSettings, and add, replace or remove of
// /accessLogSettings/destinationArn and /accessLogSettings/format.
func applyAccessLogPatch(sg *model.Stage, p patchOp) error {
	if p.Path == "/accessLogSettings" {
		if p.Op != "remove" {
			return invalidPatchPath(p)
		}
		sg.AccessLogSettings = nil
		return nil
	}
	a := sg.AccessLogSettings
	if a == nil {
		a = &model.AccessLogSettings{}
	}
	var field *string
	switch strings.TrimPrefix(p.Path, "/accessLogSettings/") {
	case "destinationArn":
		field = &a.DestinationARN
	case "format":
		field = &a.Format
	default:
		return invalidPatchPath(p)
	}
	switch p.Op {
	case "add", "replace":
		*field = p.Value
	case "remove":
		*field = ""
	default:
		return invalidPatchPath(p)
	}
	if a.DestinationARN == "" && a.Format == "" {
		sg.AccessLogSettings = nil
		return nil
	}
	sg.AccessLogSettings = a
	return checkAccessLog(a)
}
