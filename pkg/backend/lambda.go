package backend

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strings"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/micro"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/portico/portico/pkg/telemetry"
	"github.com/portico/portico/pkg/wire"
)

// LambdaErrorStatus is the micro error code a Lambda adapter answers with when the handler
// returns an error; the edge maps it to AWS's answer for a function error (502 REST, 500 HTTP API).
const LambdaErrorStatus = "502"

// lambdaError is the body of a function error, as the Lambda runtime writes it.
type lambdaError struct {
	ErrorMessage string `json:"errorMessage"`
	ErrorType    string `json:"errorType"`
}

// HandleLambda serves an AWS_PROXY integration's function: handler is anything
// github.com/aws/aws-lambda-go/lambda.Start accepts (for example
// func(context.Context, events.APIGatewayProxyRequest) (events.APIGatewayProxyResponse, error)
// or func(context.Context, events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error)),
// so a function written for Lambda runs unchanged. It listens on wire.LambdaSubject(function).
// The handler's context carries a lambdacontext.LambdaContext with the request id.
func (s *Service) HandleLambda(function string, handler any) error {
	if function == "" || strings.ContainsAny(function, " .*>\t\r\n") {
		return errors.New("backend: invalid Lambda function name " + function)
	}
	h := lambda.NewHandler(handler)
	arn := "arn:aws:lambda:us-east-1:000000000000:function:" + function
	return s.svc.AddEndpoint(function, micro.HandlerFunc(func(r micro.Request) {
		s.serveLambda(r, h, function, arn)
	}), micro.WithEndpointSubject(wire.LambdaSubject(function)), micro.WithEndpointQueueGroup(s.queue))
}

func (s *Service) serveLambda(r micro.Request, h lambda.Handler, function, arn string) {
	msg := &nats.Msg{Header: nats.Header(r.Headers()), Data: r.Data()}
	ctx := telemetry.Extract(context.Background(), msg)
	var ids struct {
		RequestContext struct {
			RequestID string `json:"requestId"`
		} `json:"requestContext"`
	}
	_ = json.Unmarshal(msg.Data, &ids)
	ctx, span := s.tracer.Start(ctx, "lambda "+function, trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("portico.request_id", ids.RequestContext.RequestID),
			attribute.String("faas.name", function)))
	defer span.End()
	ctx = lambdacontext.NewContext(ctx, &lambdacontext.LambdaContext{
		AwsRequestID: ids.RequestContext.RequestID, InvokedFunctionArn: arn})
	out, err := h.Invoke(ctx, msg.Data)
	if err != nil {
		span.SetStatus(codes.Error, err.Error())
		b, _ := json.Marshal(lambdaError{ErrorMessage: err.Error(), ErrorType: errorType(err)})
		_ = r.Error(LambdaErrorStatus, "function error", b)
		return
	}
	_ = r.Respond(out)
}

func errorType(err error) string {
	t := reflect.TypeOf(err)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n := t.Name(); n != "" {
		return n
	}
	return "error"
}
