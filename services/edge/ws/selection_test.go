package ws

import (
	"strings"
	"testing"
)

func TestSelector(t *testing.T) {
	tests := []struct {
		name, expr, body, want string
		ok                     bool
	}{
		{"default expression", "", `{"action":"join"}`, "join", true},
		{"action", "$request.body.action", `{"action":"join"}`, "join", true},
		{"nested", "$request.body.a.b", `{"a":{"b":"x"}}`, "x", true},
		{"number", "$request.body.n", `{"n":42}`, "42", true},
		{"bool", "$request.body.b", `{"b":true}`, "true", true},
		{"missing", "$request.body.action", `{"other":1}`, "", false},
		{"null", "$request.body.action", `{"action":null}`, "", false},
		{"object value", "$request.body.action", `{"action":{}}`, "", false},
		{"not json", "$request.body.action", `hello`, "", false},
		{"json array", "$request.body.action", `[1]`, "", false},
		{"template", "${request.body.a}/${request.body.b}", `{"a":"x","b":"y"}`, "x/y", true},
		{"template literal", "v1-${request.body.a}", `{"a":"x"}`, "v1-x", true},
		{"template missing", "${request.body.a}/${request.body.b}", `{"a":"x"}`, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := ParseSelector(tt.expr)
			if err != nil {
				t.Fatalf("ParseSelector(%q) = %v", tt.expr, err)
			}
			got, ok := s.Select([]byte(tt.body))
			if got != tt.want || ok != tt.ok {
				t.Fatalf("Select(%q) = %q, %v, want %q, %v", tt.body, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseSelectorErrors(t *testing.T) {
	for _, expr := range []string{
		"action",
		"$request.header.x",
		"$request.body.",
		"$request.body.a..b",
		"${request.body.a",
		"${request.querystring.a}",
		"${request.body.}",
		"$request.body." + strings.Repeat("a.", maxPathDepth) + "a",
		strings.Repeat("${request.body.a}", maxExpressionRef+1),
		"$request.body." + strings.Repeat("a", maxExpressionLen),
	} {
		if _, err := ParseSelector(expr); err == nil {
			t.Errorf("ParseSelector(%.40q) = nil error, want an error", expr)
		}
	}
}

func FuzzSelector(f *testing.F) {
	f.Add("$request.body.action", `{"action":"x"}`)
	f.Add("${request.body.a}/${request.body.b}", `{"a":"x","b":1}`)
	f.Add("${request.body.a", `{}`)
	f.Add("$request.body.a.b.c", `{"a":{"b":{"c":true}}}`)
	f.Fuzz(func(t *testing.T, expr, body string) {
		s, err := ParseSelector(expr)
		if err != nil {
			return
		}
		if len(s.parts) == 0 {
			t.Fatalf("ParseSelector(%q) compiled to nothing", expr)
		}
		for _, p := range s.parts {
			if p.path != nil && (len(p.path) == 0 || len(p.path) > maxPathDepth) {
				t.Fatalf("ParseSelector(%q): path %q out of bounds", expr, p.path)
			}
		}
		key, ok := s.Select([]byte(body))
		if !ok && key != "" {
			t.Fatalf("Select(%q) = %q with ok false", body, key)
		}
	})
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig().Validate() = %v", err)
	}
	err := Config{}.Validate()
	if err == nil {
		t.Fatal("zero Config validated")
	}
	for _, field := range []string{"max_frame_bytes", "max_message_bytes", "idle_timeout", "max_lifetime", "max_conns", "send_queue", "integration_timeout"} {
		if !strings.Contains(err.Error(), field) {
			t.Errorf("Validate() = %v, want a problem with %s", err, field)
		}
	}
	if _, err := New(DefaultConfig(), Deps{}); err == nil || !strings.Contains(err.Error(), "NATS") || !strings.Contains(err.Error(), "EdgeID") {
		t.Errorf("New without deps = %v, want NATS and EdgeID problems", err)
	}
}
