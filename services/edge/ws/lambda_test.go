package ws

import (
	"errors"
	"testing"
)

func TestParseLambdaResponse(t *testing.T) {
	for _, tt := range []struct {
		name       string
		in         string
		wantStatus int
		wantBody   string
		wantErr    bool
	}{
		{"empty", "", 200, "", false},
		{"null", "null", 200, "", false},
		{"status and body", `{"statusCode":201,"body":"hi"}`, 201, "hi", false},
		{"no status", `{"body":"hi"}`, 200, "hi", false},
		{"base64 body", `{"statusCode":200,"body":"aGk=","isBase64Encoded":true}`, 200, "hi", false},
		{"bad base64", `{"statusCode":200,"body":"%%%","isBase64Encoded":true}`, 0, "", true},
		{"bad status", `{"statusCode":99}`, 0, "", true},
		{"string", `"hello"`, 0, "", true},
		{"not json", `{`, 0, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseLambdaResponse([]byte(tt.in))
			if tt.wantErr {
				if !errors.Is(err, errLambdaResponse) {
					t.Fatalf("parseLambdaResponse(%q) error = %v, want errLambdaResponse", tt.in, err)
				}
				return
			}
			if err != nil || got.status != tt.wantStatus || string(got.body) != tt.wantBody {
				t.Fatalf("parseLambdaResponse(%q) = %d %q %v, want %d %q", tt.in, got.status, got.body, err, tt.wantStatus, tt.wantBody)
			}
		})
	}
}

func FuzzParseLambdaResponse(f *testing.F) {
	for _, s := range []string{"", "null", `{"statusCode":200,"body":"x"}`, `{"statusCode":200,"body":"eA==","isBase64Encoded":true}`, `{"headers":{"a":"b"},"multiValueHeaders":{"c":["d"]}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := parseLambdaResponse(data)
		if err != nil {
			if !errors.Is(err, errLambdaResponse) {
				t.Fatalf("error %v is not errLambdaResponse", err)
			}
			return
		}
		if got.status < 100 || got.status > 599 {
			t.Fatalf("status %d out of range", got.status)
		}
	})
}
