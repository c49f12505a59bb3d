package wire

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// messages lists every message type of the contract. A golden file pins each one's JSON: a
// renamed or removed field fails here (bump Version); an added field needs -update.
var messages = map[string]any{
	"authz_request":     &AuthzRequest{},
	"custom_authorizer": &CustomAuthorizer{},
	"jwt_authorizer":    &JWTAuthorizer{},
	"authz_decision":    &AuthzDecision{},
	"credentials_req":   &CredentialsRequest{},
	"credentials_reply": &CredentialsReply{},
	"invalidation":      &Invalidation{},
	"lease_request":     &LeaseRequest{},
	"lease_grant":       &LeaseGrant{},
	"conn_event":        &ConnEvent{},
	"conn_identity":     &ConnIdentity{},
	"manage_request":    &ManageRequest{},
	"manage_response":   &ManageResponse{},
	"connection_info":   &ConnectionInfo{},
	"delivery":          &Delivery{},
	"edge_heartbeat":    &EdgeHeartbeat{},
	"cache_flush":       &CacheFlush{},
}

// fill sets every field of v to a value derived from its name, so the golden files show every
// field the contract has.
func fill(v reflect.Value, name string, depth int) {
	switch v.Kind() {
	case reflect.Pointer:
		if depth > 3 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		fill(v.Elem(), name, depth+1)
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), v.Type().Field(i).Name, depth+1)
			}
		}
	case reflect.String:
		v.SetString(strings.ToLower(name))
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(int64(len(name)))
	case reflect.Float64:
		v.SetFloat(float64(len(name)) + 0.5)
	case reflect.Slice:
		if v.Type() == reflect.TypeOf(json.RawMessage(nil)) {
			v.SetBytes([]byte(`{"` + name + `":true}`))
			return
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte(name))
			return
		}
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), name, depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(k, name+"Key", depth+1)
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, name+"Value", depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	}
}

func TestGolden(t *testing.T) {
	for name, msg := range messages {
		t.Run(name, func(t *testing.T) {
			v := reflect.ValueOf(msg).Elem()
			fill(v, v.Type().Name(), 0)
			got, err := Marshal(msg)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, got, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			file := filepath.Join("testdata", name+".json")
			if *update {
				if err := os.WriteFile(file, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test ./wire -update to create it)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("%s encodes as\n%s\nwant (testdata/%s.json)\n%s", name, pretty.Bytes(), name, want)
			}
			// and it decodes back to the same message
			back := reflect.New(v.Type())
			if err := Unmarshal(got, back.Interface()); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back.Elem().Interface(), v.Interface()) {
				t.Errorf("%s does not round-trip", name)
			}
		})
	}
}

func TestStageKey(t *testing.T) {
	for _, tt := range []struct{ name, api, stage string }{
		{"plain", "abc123", "prod"},
		{"default stage", "abc123", "$default"},
		{"dashes", "a1", "my-stage_2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			k := KeyStage(tt.api, tt.stage)
			if strings.Contains(k, "$") {
				t.Errorf("KeyStage(%q, %q) = %q holds a $", tt.api, tt.stage, k)
			}
			api, stage, ok := ParseStageKey(k)
			if !ok || api != tt.api || stage != tt.stage {
				t.Errorf("ParseStageKey(%q) = %q %q %v, want %q %q", k, api, stage, ok, tt.api, tt.stage)
			}
		})
	}
	for _, bad := range []string{"stages.", "stages.abc", "stages..x", "deployments.a.b"} {
		if _, _, ok := ParseStageKey(bad); ok {
			t.Errorf("ParseStageKey(%q) ok, want not", bad)
		}
	}
}

func TestStatusOf(t *testing.T) {
	for code, want := range map[string]int{CodeOK: 200, CodeForbidden: 403, CodeUnauthorized: 401, CodeThrottled: 429,
		CodeQuotaExceeded: 429, CodeGone: 410, CodeBadRequest: 400, CodePayloadLarge: 413, CodeInternal: 500, CodeUnavailable: 503, "other": 500} {
		if got := StatusOf(code); got != want {
			t.Errorf("StatusOf(%q) = %d, want %d", code, got, want)
		}
	}
}

func TestIsReserved(t *testing.T) {
	for name, want := range map[string]bool{"Portico-Status": true, "portico-method": true, "PORTICO-X": true, "Port": false, "Content-Type": false, "Porticox": false} {
		if got := IsReserved(name); got != want {
			t.Errorf("IsReserved(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestAccessLogSubject(t *testing.T) {
	for _, tt := range []struct{ name, api, stage, want string }{
		{"plain", "abc123", "prod", "portico.v1.logs.access.abc123.prod"},
		{"default stage", "abc123", "$default", "portico.v1.logs.access.abc123.=default"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := AccessLogSubject(tt.api, tt.stage); got != tt.want || !strings.HasPrefix(got, AccessLogPrefix) {
				t.Errorf("AccessLogSubject(%q, %q) = %q, want %q", tt.api, tt.stage, got, tt.want)
			}
		})
	}
}

func TestLambdaFunction(t *testing.T) {
	for _, tt := range []struct{ name, uri, want string }{
		{"apigateway uri", "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/arn:aws:lambda:us-east-1:000000000000:function:chat/invocations", "chat"},
		{"qualified", "arn:aws:lambda:us-east-1:000000000000:function:chat:live", "chat"},
		{"bare", "chat", "chat"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := LambdaFunction(tt.uri); got != tt.want {
				t.Errorf("LambdaFunction(%q) = %q, want %q", tt.uri, got, tt.want)
			}
		})
	}
}
