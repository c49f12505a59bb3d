package edge

import (
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	gw "github.com/portico/portico/pkg/gatewayresponse"
	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

// Access logs: a stage with accessLogSettings gets one line per request in its format, a
// template of $context variables (AWS's access log variables), published on
// wire.AccessLogSubject with the destination ARN, and written to the edge's log. A variable
// with no value for the request is written "-", as AWS does.

// maxAccessLogFormat and maxAccessLogLine bound a format and a rendered line.
const (
	maxAccessLogFormat = 3 << 10
	maxAccessLogLine   = 16 << 10
)

// accessLogFormat is a compiled access log format.
type accessLogFormat struct {
	destination string
	subject     string
	parts       []logPart
}

// logPart is literal text, or (variable set) a $context variable's dotted path.
type logPart struct {
	text     string
	variable bool
}

// compileAccessLog compiles a stage's settings; nil when it has none.
func compileAccessLog(st model.Stage) *accessLogFormat {
	a := st.AccessLogSettings
	if a == nil || a.Format == "" {
		return nil
	}
	f := a.Format
	if len(f) > maxAccessLogFormat {
		f = f[:maxAccessLogFormat]
	}
	return &accessLogFormat{destination: a.DestinationARN, subject: wire.AccessLogSubject(st.APIID, st.StageName), parts: parseLogFormat(f)}
}

const contextRef = "$context."

// parseLogFormat splits a format into text and $context.a.b references (letters, digits, _ and
// inner dots; a trailing dot is text).
func parseLogFormat(f string) []logPart {
	var parts []logPart
	for {
		i := strings.Index(f, contextRef)
		if i < 0 {
			break
		}
		j := i + len(contextRef)
		for j < len(f) && isRefByte(f[j]) {
			j++
		}
		for j > i+len(contextRef) && f[j-1] == '.' {
			j--
		}
		if j == i+len(contextRef) { // "$context." with no name: text
			parts = append(parts, logPart{text: f[:j]})
			f = f[j:]
			continue
		}
		if i > 0 {
			parts = append(parts, logPart{text: f[:i]})
		}
		parts = append(parts, logPart{text: f[i+len(contextRef) : j], variable: true})
		f = f[j:]
	}
	if f != "" {
		parts = append(parts, logPart{text: f})
	}
	return parts
}

func isRefByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.'
}

// noRoute stands in for the route of a request that matched none, in its log line.
var noRoute = &target{}

// writeAccessLog renders and sends the access log line of a finished request.
func (s *Service) writeAccessLog(r *request, start time.Time) {
	f := r.st.accessLog
	if r.t == nil {
		r.t = noRoute
	}
	line := f.render(r, start)
	msg := &nats.Msg{Subject: f.subject, Data: line, Header: nats.Header{}}
	if f.destination != "" {
		msg.Header.Set(wire.HeaderLogDestination, f.destination)
	}
	if err := s.deps.NATS.PublishMsg(msg); err != nil {
		s.log.Warn("publishing an access log line", "api_id", r.st.apiID, "stage", r.st.name, "err", err)
	}
	s.log.Info("access", "api_id", r.st.apiID, "stage", r.st.name, "line", string(line))
}

// render writes the line of r, which started at start.
func (f *accessLogFormat) render(r *request, start time.Time) []byte {
	var vars map[string]any
	out := make([]byte, 0, 256)
	for _, p := range f.parts {
		if !p.variable {
			out = append(out, p.text...)
			continue
		}
		if vars == nil {
			vars = accessLogVars(r, start)
		}
		v, ok := lookupContext(vars, p.text)
		if !ok || v == "" {
			v = "-"
		}
		out = append(out, v...)
		if len(out) > maxAccessLogLine {
			return out[:maxAccessLogLine]
		}
	}
	return out
}

// accessLogVars is $context as templates see it, plus what only a finished request knows.
func accessLogVars(r *request, start time.Time) map[string]any {
	vars := contextVarsFor(r)
	resp := &r.ctx.Response
	status := strconv.Itoa(resp.StatusCode())
	vars["status"] = status
	vars["responseLength"] = strconv.Itoa(len(resp.Body()))
	vars["responseLatency"] = strconv.FormatInt(time.Since(start).Milliseconds(), 10)
	vars["requestTime"] = start.UTC().Format("02/Jan/2006:15:04:05 -0700")
	vars["requestTimeEpoch"] = start.UnixMilli()
	if r.t == noRoute {
		vars["resourcePath"], vars["resourceId"], vars["routeKey"] = "", "", ""
	}
	if r.gwType != "" {
		msg := r.gwMessage
		if msg == "" {
			msg = gw.Defaults[r.gwType].Message
		}
		vars["error"] = map[string]any{"message": msg, "messageString": strconv.Quote(msg), "responseType": string(r.gwType)}
	}
	return vars
}
