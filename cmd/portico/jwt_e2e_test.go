package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/golang-jwt/jwt/v5"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
)

// TestJWTAuthorizerThroughTheGateway: an HTTP API route guarded by a JWT authorizer whose
// issuer is a local OpenID provider (discovery + JWKS): a valid token passes and its claims reach
// the backend; a missing, expired, wrong-audience or unsigned ("none") token is 401.
func TestJWTAuthorizerThroughTheGateway(t *testing.T) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	var idp *httptest.Server
	idp = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": idp.URL, "jwks_uri": idp.URL + "/jwks"})
		case "/jwks":
			b64 := base64.RawURLEncoding.EncodeToString
			_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig",
				"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}}})
		default:
			http.NotFound(w, r)
		}
	}))
	defer idp.Close()
	token := func(aud string, exp time.Time, scope string) string {
		tok := jwt.NewWithClaims(jwt.SigningMethodRS256, jwt.MapClaims{"iss": idp.URL, "aud": aud, "sub": "user-42",
			"exp": exp.Unix(), "iat": time.Now().Unix(), "scope": scope, "email": "u42@example.com"})
		tok.Header["kid"] = "k1"
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}

	g := startServe(t, serveOptions{jwtAllowHTTP: true})
	nc := natstest.ConnectURL(t, g.natsURL())
	var mu sync.Mutex
	var seen nats.Header
	sub, err := nc.Subscribe("jwt.e2e.me", func(m *nats.Msg) {
		mu.Lock()
		seen = m.Header
		mu.Unlock()
		_ = m.Respond([]byte(`{"me":true}`))
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Unsubscribe()
	const apiID = "jwtapi0001"
	api := model.RestAPI{ID: apiID, Name: "jwt", Protocol: model.ProtocolHTTP,
		Authorizers: []model.Authorizer{{ID: "az1", Name: "oidc", Type: "JWT", IdentitySource: "$request.header.Authorization",
			JWTConfiguration: &model.JWTConfiguration{Issuer: idp.URL, Audience: []string{"portico"}}}},
		Routes: []model.Route{
			{ID: "r1", RouteKey: "GET /me", AuthorizationType: model.AuthJWT, AuthorizerID: "az1",
				Integration: &model.Integration{Type: model.IntegrationNATSProxy, URI: "jwt.e2e.me"}},
			{ID: "r3", RouteKey: "GET /tpl", AuthorizationType: model.AuthJWT, AuthorizerID: "az1",
				Integration: &model.Integration{Type: model.IntegrationMock, RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`},
					IntegrationResponses: map[string]model.IntegrationResponse{"200": {StatusCode: "200",
						ResponseTemplates: map[string]string{"application/json": `{"email":"$context.authorizer.claims.email"}`}}}}},
			{ID: "r2", RouteKey: "GET /lambda", AuthorizationType: model.AuthJWT, AuthorizerID: "az1",
				Integration: &model.Integration{Type: model.IntegrationAWSProxy, PayloadFormatVersion: "2.0",
					URI: "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:jwtfn/invocations"}}}}
	fn, err := nc.Subscribe(wire.LambdaSubject("jwtfn"), func(m *nats.Msg) {
		var ev events.APIGatewayV2HTTPRequest
		body := "no jwt authorizer in the event"
		if json.Unmarshal(m.Data, &ev) == nil && ev.RequestContext.Authorizer != nil && ev.RequestContext.Authorizer.JWT != nil {
			body = ev.RequestContext.Authorizer.JWT.Claims["email"]
		}
		b, _ := json.Marshal(events.APIGatewayV2HTTPResponse{StatusCode: 200, Body: body})
		_ = m.Respond(b)
	})
	if err != nil {
		t.Fatal(err)
	}
	defer fn.Unsubscribe()
	js, _ := jetstream.New(nc)
	kv, err := js.KeyValue(context.Background(), wire.ConfigBucket)
	if err != nil {
		t.Fatal(err)
	}
	for _, kvp := range []struct {
		key string
		v   any
	}{{wire.KeyDeployment(apiID, "d1"), model.Deployment{ID: "d1", APIID: apiID, API: api}},
		{wire.KeyStage(apiID, "prod"), model.Stage{APIID: apiID, StageName: "prod", DeploymentID: "d1"}}} {
		b, _ := json.Marshal(kvp.v)
		if _, err := kv.Put(context.Background(), kvp.key, b); err != nil {
			t.Fatal(err)
		}
	}
	waitServed(t, g, apiID, "prod")
	base := "http://" + g.opts.httpAddr + "/restapis/" + apiID + "/prod/_user_request_"

	good := token("portico", time.Now().Add(time.Hour), "pets:read")
	expect(t, "valid token", do(t, "GET", base+"/me", "", "Authorization", "Bearer "+good), 200, `{"me":true}`)
	mu.Lock()
	principal, claims := seen.Get(wire.HeaderPrincipalID), seen.Get(wire.HeaderAuthorizer)
	mu.Unlock()
	if principal != "user-42" || !strings.Contains(claims, "u42@example.com") {
		t.Errorf("backend saw principal %q claims %q", principal, claims)
	}
	expect(t, "claims in the Lambda event (payload 2.0 requestContext.authorizer.jwt)",
		do(t, "GET", base+"/lambda", "", "Authorization", "Bearer "+good), 200, "u42@example.com")
	expect(t, "claims in a mapping template ($context.authorizer.claims)",
		do(t, "GET", base+"/tpl", "", "Authorization", "Bearer "+good), 200, `{"email":"u42@example.com"}`)
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." +
		base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"`+idp.URL+`","aud":"portico","sub":"x","exp":9999999999}`)) + "."
	for name, tok := range map[string]string{
		"missing":        "",
		"expired":        token("portico", time.Now().Add(-time.Hour), ""),
		"wrong audience": token("someone-else", time.Now().Add(time.Hour), ""),
		"alg none":       none,
	} {
		hdr := []string{}
		if tok != "" {
			hdr = []string{"Authorization", "Bearer " + tok}
		}
		expect(t, name+" token", do(t, "GET", base+"/me", "", hdr...), 401, `{"message":"Unauthorized"}`)
	}
}
