package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/spf13/cobra"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/natstest"
	"github.com/portico/portico/pkg/wire"
	"github.com/portico/portico/services/admin"
)

const cliTestDoc = `openapi: 3.0.1
info: {title: cli, version: "1"}
paths:
  /hello:
    get:
      security: [{api_key: []}]
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: nats_proxy, uri: hello}
components:
  securitySchemes:
    api_key: {type: apiKey, name: x-api-key, in: header}
`

// startAdmin runs a real admin (over an embedded NATS server) behind httptest and returns its
// URL and the config bucket.
func startAdmin(t *testing.T) (string, jetstream.KeyValue) {
	t.Helper()
	t.Setenv("PORTICO_ADMIN_ACCESS_KEY_ID", "cli-id")
	t.Setenv("PORTICO_ADMIN_SECRET_ACCESS_KEY", "cli-secret")
	ns := natstest.Start(t)
	nc := natstest.Connect(t, ns)
	cfg := admin.DefaultConfig()
	cfg.AccessKeyID, cfg.SecretAccessKey, cfg.EdgeURL = "cli-id", "cli-secret", "http://edge.test:8080"
	svc, err := admin.New(cfg, admin.Deps{NATS: nc})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.Handler())
	t.Cleanup(srv.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	// Another service (edge) may create the bucket first; admin binds it.
	kv, err := js.CreateKeyValue(context.Background(), jetstream.KeyValueConfig{Bucket: wire.ConfigBucket, History: 5})
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, kv
}

func runCLI(t *testing.T, cmd *cobra.Command, args ...string) (string, error) {
	t.Helper()
	root := &cobra.Command{Use: "portico", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(cmd)
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String(), err
}

func TestCLIVerbsAgainstAdmin(t *testing.T) {
	url, kv := startAdmin(t)
	doc := filepath.Join(t.TempDir(), "api.yaml")
	if err := os.WriteFile(doc, []byte(cliTestDoc), 0o644); err != nil {
		t.Fatal(err)
	}

	out, err := runCLI(t, newImportCmd(), "import", doc, "--stage", "prod", "--admin", url, "-o", "json",
		"--throttle-rate", "7.5", "--throttle-burst", "15")
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	var res importResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("import -o json printed %q: %v", out, err)
	}
	want := "http://edge.test:8080/restapis/" + res.APIID + "/prod/_user_request_"
	if res.APIID == "" || res.Stage != "prod" || res.InvokeURL != want {
		t.Errorf("import = %+v, want invokeUrl %s", res, want)
	}
	var keys map[string]any
	if err := json.Unmarshal([]byte(out), &keys); err != nil || len(keys) != 3 {
		t.Errorf("import -o json has fields %v, want exactly apiId, stage, invokeUrl", keys)
	}
	stage := getStage(t, kv, res.APIID, "prod")
	if rate, burst, ok := stage.Throttle(); !ok || rate != 7.5 || burst != 15 {
		t.Errorf("stage throttle = %v %v %v, want 7.5 15", rate, burst, ok)
	}
	firstDeployment := stage.DeploymentID

	// Re-import onto the same API (overwrite) and redeploy.
	out, err = runCLI(t, newImportCmd(), "import", doc, "--stage", "prod", "--api", res.APIID, "--admin", url)
	if err != nil {
		t.Fatalf("re-import: %v\n%s", err, out)
	}
	if !strings.Contains(out, res.APIID) || !strings.Contains(out, want) {
		t.Errorf("import text output %q lacks the api id or invoke URL", out)
	}
	if s := getStage(t, kv, res.APIID, "prod"); s.DeploymentID == firstDeployment {
		t.Errorf("re-import did not move the stage to a new deployment")
	}

	out, err = runCLI(t, newDeployCmd(), "deploy", "--api", res.APIID, "--stage", "beta", "--description", "b", "--admin", url, "-o", "json")
	if err != nil {
		t.Fatalf("deploy: %v\n%s", err, out)
	}
	var dep deployResult
	if err := json.Unmarshal([]byte(out), &dep); err != nil {
		t.Fatalf("deploy -o json printed %q: %v", out, err)
	}
	if s := getStage(t, kv, res.APIID, "beta"); s.DeploymentID != dep.DeploymentID || dep.DeploymentID == "" {
		t.Errorf("stage beta -> %q, deploy printed %q", s.DeploymentID, dep.DeploymentID)
	}

	out, err = runCLI(t, newAPIKeyCmd(), "apikey", "create", "--api", res.APIID, "--stage", "prod", "--name", "ci", "--admin", url, "-o", "json")
	if err != nil {
		t.Fatalf("apikey create: %v\n%s", err, out)
	}
	var k apiKeyResult
	if err := json.Unmarshal([]byte(out), &k); err != nil {
		t.Fatalf("apikey -o json printed %q: %v", out, err)
	}
	if k.ID == "" || len(k.Value) != 40 {
		t.Errorf("apikey = %+v", k)
	}
	idx, err := kv.Get(context.Background(), wire.KeyAPIKeyHash(model.HashAPIKey(k.Value)))
	if err != nil || !strings.Contains(string(idx.Value()), k.ID) {
		t.Errorf("hash index for the printed key: %v", err)
	}
	out, err = runCLI(t, newAPIKeyCmd(), "apikey", "create", "--api", res.APIID, "--stage", "prod", "--admin", url)
	if err != nil || len(strings.TrimSpace(out)) != 40 {
		t.Errorf("apikey text output %q, err %v: want the 40-character value", out, err)
	}

	// export -> import round trip through the CLI.
	out, err = runCLI(t, newExportCmd(), "export", "--api", res.APIID, "--stage", "prod", "--admin", url)
	if err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	if !strings.Contains(out, "x-amazon-apigateway-integration") || !strings.Contains(out, "/hello") {
		t.Errorf("export output lacks the integration or path:\n%s", out)
	}
	exported := filepath.Join(t.TempDir(), "exported.yaml")
	if err := os.WriteFile(exported, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = runCLI(t, newImportCmd(), "import", exported, "--stage", "copy", "--admin", url, "-o", "json")
	if err != nil {
		t.Fatalf("import of the export: %v\n%s", err, out)
	}
	var copied importResult
	if err := json.Unmarshal([]byte(out), &copied); err != nil || copied.APIID == res.APIID {
		t.Errorf("import of the export = %s (%v)", out, err)
	}
	out, err = runCLI(t, newExportCmd(), "export", "--api", res.APIID, "--stage", "prod", "--admin", url, "--type", "swagger", "--format", "json")
	if err != nil || !strings.Contains(out, `"swagger": "2.0"`) {
		t.Errorf("swagger json export = %v\n%s", err, out)
	}
}

func TestCLIErrors(t *testing.T) {
	url, _ := startAdmin(t)
	_, err := runCLI(t, newDeployCmd(), "deploy", "--api", "nosuchapi1", "--stage", "prod", "--admin", url)
	if err == nil || !strings.Contains(err.Error(), "NotFoundException") {
		t.Errorf("deploy to unknown api: %v, want NotFoundException", err)
	}
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("openapi: 3.0.1\ninfo: {version: '1'}\npaths: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = runCLI(t, newImportCmd(), "import", bad, "--stage", "prod", "--admin", url)
	if err == nil || !strings.Contains(err.Error(), "BadRequestException") {
		t.Errorf("import of a malformed doc: %v, want BadRequestException", err)
	}
	t.Setenv("PORTICO_ADMIN_SECRET_ACCESS_KEY", "wrong")
	_, err = runCLI(t, newImportCmd(), "import", bad, "--stage", "prod", "--admin", url)
	if err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("wrong secret: %v, want a 403", err)
	}
	if _, err := runCLI(t, newImportCmd(), "import", bad, "--admin", url); err == nil {
		t.Error("import without --stage succeeded")
	}
}

func TestDeployCanaryPromoteRollback(t *testing.T) {
	url, kv := startAdmin(t)
	doc := filepath.Join(t.TempDir(), "api.yaml")
	if err := os.WriteFile(doc, []byte(cliTestDoc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, newImportCmd(), "import", doc, "--stage", "prod", "--admin", url, "-o", "json")
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	var res importResult
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	first := getStage(t, kv, res.APIID, "prod").DeploymentID

	out, err = runCLI(t, newDeployCmd(), "deploy", "--api", res.APIID, "--stage", "prod", "--canary-percent", "25",
		"--canary-variable", "color=red", "--admin", url, "-o", "json")
	if err != nil {
		t.Fatalf("deploy --canary-percent: %v\n%s", err, out)
	}
	var dep deployResult
	if err := json.Unmarshal([]byte(out), &dep); err != nil {
		t.Fatal(err)
	}
	sg := getStage(t, kv, res.APIID, "prod")
	if dep.DeploymentID != first || sg.DeploymentID != first || sg.CanarySettings == nil || sg.CanarySettings.DeploymentID != dep.CanaryDeploymentID ||
		sg.CanarySettings.PercentTraffic != 25 || sg.CanarySettings.StageVariableOverrides["color"] != "red" {
		t.Fatalf("canary deploy printed %+v; stage %+v canary %+v", dep, sg, sg.CanarySettings)
	}

	out, err = runCLI(t, newDeployCmd(), "deploy", "--api", res.APIID, "--stage", "prod", "--promote", "--admin", url)
	if err != nil || !strings.Contains(out, dep.CanaryDeploymentID) {
		t.Fatalf("deploy --promote: %v\n%s", err, out)
	}
	sg = getStage(t, kv, res.APIID, "prod")
	if sg.DeploymentID != dep.CanaryDeploymentID || sg.CanarySettings != nil || sg.Variables["color"] != "red" {
		t.Errorf("stage after promote = %+v", sg)
	}
	if _, err := runCLI(t, newDeployCmd(), "deploy", "--api", res.APIID, "--stage", "prod", "--promote", "--admin", url); err == nil ||
		!strings.Contains(err.Error(), "BadRequestException") {
		t.Errorf("promote without a canary: %v, want BadRequestException", err)
	}

	if _, err := runCLI(t, newDeployCmd(), "deploy", "--api", res.APIID, "--stage", "prod", "--rollback-to", first, "--admin", url); err != nil {
		t.Fatalf("deploy --rollback-to: %v", err)
	}
	if got := getStage(t, kv, res.APIID, "prod").DeploymentID; got != first {
		t.Errorf("stage after rollback = %s, want %s", got, first)
	}
	if _, err := runCLI(t, newDeployCmd(), "deploy", "--api", res.APIID, "--stage", "prod", "--promote", "--rollback-to", first, "--admin", url); err == nil {
		t.Error("--promote with --rollback-to accepted")
	}
	if _, err := runCLI(t, newDeployCmd(), "deploy", "--api", res.APIID, "--stage", "prod", "--canary-percent", "150", "--admin", url); err == nil {
		t.Error("--canary-percent 150 accepted")
	}
}

func TestAdminVerbsRegistered(t *testing.T) {
	for _, name := range []string{"import", "deploy", "apikey", "export"} {
		if c, _, err := rootCmd.Find([]string{name}); err != nil || c.Name() != name {
			t.Errorf("rootCmd has no %q verb", name)
		}
	}
}

func getStage(t *testing.T, kv jetstream.KeyValue, apiID, stage string) model.Stage {
	t.Helper()
	en, err := kv.Get(context.Background(), wire.KeyStage(apiID, stage))
	if err != nil {
		t.Fatalf("stage %s/%s: %v", apiID, stage, err)
	}
	var s model.Stage
	if err := wire.Unmarshal(en.Value(), &s); err != nil {
		t.Fatal(err)
	}
	return s
}
