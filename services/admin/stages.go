package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/portico/portico/pkg/model"
	"github.com/portico/portico/pkg/wire"
)

// Bounds of stages and patches.
const (
	maxStageNameLen = 128
	maxPatchOps     = 100
	maxVariables    = 100
	maxVarValueLen  = 512
)

// validStageName reports whether name can be a stage (and a KV key token): [A-Za-z0-9_-].
func validStageName(name string) bool {
	if name == "" || len(name) > maxStageNameLen {
		return false
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// defaultStage is the HTTP API stage served at the root (stored as "=default", see wire.KeyStage).
const defaultStage = "$default"

// validV2StageName also accepts "$default".
func validV2StageName(name string) bool { return name == defaultStage || validStageName(name) }

func validVariableName(name string) bool { return validStageName(name) }

func validKeyToken(id string) bool { return validStageName(id) }

// stageKey is a stage's key ("" for identifiers that cannot name one).
func stageKey(apiID, name string) string {
	if !validV2StageName(name) {
		return ""
	}
	return tokenKey(wire.KeyStage(apiID, name), apiID)
}

func errNoStage() error { return notFound("Invalid stage identifier specified") }

func loadStage(ctx context.Context, st *store, apiID, name string) (*model.Stage, uint64, error) {
	return read[model.Stage](ctx, st, stageKey(apiID, name), errNoStage())
}

// mutateStage applies fn to a stage and writes it back, stamped, with a revision check.
func mutateStage(ctx context.Context, st *store, apiID, name string, fn func(*model.Stage) error) (*model.Stage, error) {
	return update(ctx, st, stageKey(apiID, name), "stage", errNoStage(), func(sg *model.Stage) error {
		if err := fn(sg); err != nil {
			return err
		}
		sg.LastUpdatedDate = time.Now().UTC()
		return nil
	})
}

// deploymentKey is a deployment's key ("" for identifiers that cannot name one).
func deploymentKey(apiID, id string) string {
	return tokenKey(wire.KeyDeployment(apiID, id), apiID, id)
}

func errNoDeployment() error { return notFound("Invalid Deployment identifier specified") }

func deploymentExists(ctx context.Context, st *store, apiID, id string) error {
	_, _, err := read[model.Deployment](ctx, st, deploymentKey(apiID, id), badRequest("Invalid deployment identifier specified"))
	return err
}

func checkVariables(vars map[string]string) error {
	if len(vars) > maxVariables {
		return badRequest("too many stage variables: at most %d", maxVariables)
	}
	for k, v := range vars {
		if !validVariableName(k) {
			return badRequest("Invalid stage variable name %q", k)
		}
		if len(v) > maxVarValueLen {
			return badRequest("stage variable %q is longer than %d characters", k, maxVarValueLen)
		}
	}
	return nil
}

// createDeployment snapshots the API into an immutable deployment and, with stageName,
// points that stage at it: the deployment is written first, the stage (the pointer edges
// follow) last.
func (s *Service) createDeployment(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		StageName        string            `json:"stageName"`
		StageDescription string            `json:"stageDescription"`
		Description      string            `json:"description"`
		Variables        map[string]string `json:"variables"`
		TracingEnabled   *bool             `json:"tracingEnabled"`
		CacheCluster     *bool             `json:"cacheClusterEnabled"`
		CacheSize        string            `json:"cacheClusterSize"`
		CanarySettings   *struct {
			PercentTraffic         float64           `json:"percentTraffic"`
			StageVariableOverrides map[string]string `json:"stageVariableOverrides"`
			UseStageCache          bool              `json:"useStageCache"`
		} `json:"canarySettings"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	if in.CanarySettings != nil {
		if in.StageName == "" {
			return 0, nil, badRequest("A canary deployment needs a stageName")
		}
		if err := checkCanary(&model.CanarySettings{PercentTraffic: in.CanarySettings.PercentTraffic,
			StageVariableOverrides: in.CanarySettings.StageVariableOverrides}); err != nil {
			return 0, nil, err
		}
	}
	if in.StageName != "" && !validStageName(in.StageName) {
		return 0, nil, badRequest("Stage name only allows a-zA-Z0-9_- (at most %d characters)", maxStageNameLen)
	}
	if len(in.Description) > maxDescLen || len(in.StageDescription) > maxDescLen {
		return 0, nil, badRequest("description is longer than %d characters", maxDescLen)
	}
	if err := setCacheCluster(&model.Stage{}, nil, in.CacheSize); err != nil {
		return 0, nil, err
	}
	if err := checkVariables(in.Variables); err != nil {
		return 0, nil, err
	}
	a, _, err := loadAPI(ctx, st, r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	if a.Protocol == "" && !hasMethods(a) {
		return 0, nil, badRequest("The REST API doesn't contain any methods")
	}
	if in.CanarySettings != nil {
		// Nothing is written when the canary's stage is missing.
		if _, _, err := loadStage(ctx, st, a.ID, in.StageName); err != nil {
			return 0, nil, badRequest("Stage %s does not exist: a canary deployment needs an existing stage", in.StageName)
		}
	}
	now := time.Now().UTC()
	d := model.Deployment{ID: newID(), APIID: a.ID, Description: in.Description, CreatedDate: now, API: *a}
	if _, err := st.create(ctx, wire.KeyDeployment(a.ID, d.ID), &d); err != nil {
		return 0, nil, storeErr(err, "deployment")
	}
	if in.StageName != "" {
		sg, rev, err := loadStage(ctx, st, a.ID, in.StageName)
		var ae *apiError
		switch {
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound:
			if in.CanarySettings != nil {
				// AWS: a canary is deployed to an existing stage; its deployment stays current.
				return 0, nil, badRequest("Stage %s does not exist: a canary deployment needs an existing stage", in.StageName)
			}
			sg = &model.Stage{APIID: a.ID, StageName: in.StageName, Description: in.StageDescription, CreatedDate: now}
		case err != nil:
			return 0, nil, err
		}
		if in.CanarySettings != nil {
			sg.CanarySettings = &model.CanarySettings{PercentTraffic: in.CanarySettings.PercentTraffic, DeploymentID: d.ID,
				StageVariableOverrides: in.CanarySettings.StageVariableOverrides, UseStageCache: in.CanarySettings.UseStageCache}
		} else {
			sg.DeploymentID = d.ID
		}
		sg.LastUpdatedDate = now
		if len(in.Variables) > 0 {
			if sg.Variables == nil {
				sg.Variables = map[string]string{}
			}
			for k, v := range in.Variables {
				sg.Variables[k] = v
			}
		}
		if in.TracingEnabled != nil {
			sg.TracingEnabled = *in.TracingEnabled
		}
		_ = setCacheCluster(sg, in.CacheCluster, in.CacheSize) // the size was checked above
		if rev == 0 {
			_, err = st.create(ctx, wire.KeyStage(a.ID, sg.StageName), sg)
		} else {
			_, err = st.update(ctx, wire.KeyStage(a.ID, sg.StageName), sg, rev)
		}
		if err != nil {
			return 0, nil, storeErr(err, "stage")
		}
	}
	return http.StatusCreated, viewDeployment(&d), nil
}

func hasMethods(a *model.RestAPI) bool {
	for _, r := range a.Resources {
		if len(r.ResourceMethods) > 0 {
			return true
		}
	}
	return false
}

func (s *Service) getDeployments(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadAPI(ctx, st, r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	ds, err := readAll[model.Deployment](ctx, st, wire.KeyDeploymentsPrefix+a.ID+".*")
	if err != nil {
		return 0, nil, err
	}
	out := make([]deploymentView, 0, len(ds))
	for i := range ds {
		out = append(out, viewDeployment(&ds[i]))
	}
	return http.StatusOK, page(r, out), nil
}

func (s *Service) getDeployment(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	d, _, err := read[model.Deployment](ctx, st, deploymentKey(r.PathValue("restapi_id"), r.PathValue("deployment_id")), errNoDeployment())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewDeployment(d), nil
}

func (s *Service) createStage(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	var in struct {
		StageName      string                `json:"stageName"`
		DeploymentID   string                `json:"deploymentId"`
		Description    string                `json:"description"`
		Variables      map[string]string     `json:"variables"`
		TracingEnabled bool                  `json:"tracingEnabled"`
		CanarySettings *model.CanarySettings `json:"canarySettings"`
		CacheCluster   *bool                 `json:"cacheClusterEnabled"`
		CacheSize      string                `json:"cacheClusterSize"`
	}
	if err := decodeBody(body, &in); err != nil {
		return 0, nil, err
	}
	if !validStageName(in.StageName) {
		return 0, nil, badRequest("Stage name only allows a-zA-Z0-9_- (at most %d characters)", maxStageNameLen)
	}
	if len(in.Description) > maxDescLen {
		return 0, nil, badRequest("description is longer than %d characters", maxDescLen)
	}
	if err := checkVariables(in.Variables); err != nil {
		return 0, nil, err
	}
	a, _, err := loadAPI(ctx, st, r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	if err := deploymentExists(ctx, st, a.ID, in.DeploymentID); err != nil {
		return 0, nil, err
	}
	if c := in.CanarySettings; c != nil {
		if err := checkCanary(c); err != nil {
			return 0, nil, err
		}
		if c.DeploymentID == "" {
			c.DeploymentID = in.DeploymentID
		}
		if err := deploymentExists(ctx, st, a.ID, c.DeploymentID); err != nil {
			return 0, nil, err
		}
	}
	now := time.Now().UTC()
	sg := model.Stage{
		APIID: a.ID, StageName: in.StageName, DeploymentID: in.DeploymentID, Description: in.Description,
		Variables: in.Variables, TracingEnabled: in.TracingEnabled, CanarySettings: in.CanarySettings,
		CreatedDate: now, LastUpdatedDate: now,
	}
	if err := setCacheCluster(&sg, in.CacheCluster, in.CacheSize); err != nil {
		return 0, nil, err
	}
	if _, err := st.create(ctx, wire.KeyStage(a.ID, sg.StageName), &sg); err != nil {
		if errors.Is(err, errConflict) {
			return 0, nil, conflict("Stage already exists")
		}
		return 0, nil, err
	}
	return http.StatusCreated, viewStage(&sg), nil
}

func (s *Service) getStages(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	a, _, err := loadAPI(ctx, st, r.PathValue("restapi_id"))
	if err != nil {
		return 0, nil, err
	}
	stages, err := readAll[model.Stage](ctx, st, wire.KeyStagesPrefix+a.ID+".*")
	if err != nil {
		return 0, nil, err
	}
	dep := r.URL.Query().Get("deploymentId")
	out := items[stageView]{Item: []stageView{}}
	for i := range stages {
		if dep == "" || stages[i].DeploymentID == dep {
			out.Item = append(out.Item, viewStage(&stages[i]))
		}
	}
	return http.StatusOK, out, nil
}

func (s *Service) getStage(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	sg, _, err := loadStage(ctx, st, r.PathValue("restapi_id"), r.PathValue("stage_name"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewStage(sg), nil
}

func (s *Service) deleteStage(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	sg, rev, err := loadStage(ctx, st, r.PathValue("restapi_id"), r.PathValue("stage_name"))
	if err != nil {
		return 0, nil, err
	}
	if err := st.remove(ctx, wire.KeyStage(sg.APIID, sg.StageName), rev); err != nil {
		return 0, nil, storeErr(err, "stage")
	}
	return http.StatusAccepted, nil, nil
}

// patchOp is AWS's PatchOperation.
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value string `json:"value"`
	From  string `json:"from"`
}

func decodePatch(body []byte) ([]patchOp, error) {
	var in struct {
		PatchOperations []patchOp `json:"patchOperations"`
	}
	if err := decodeBody(body, &in); err != nil {
		return nil, err
	}
	if len(in.PatchOperations) > maxPatchOps {
		return nil, badRequest("too many patch operations: at most %d", maxPatchOps)
	}
	for _, p := range in.PatchOperations {
		switch p.Op {
		case "add", "remove", "replace", "move", "copy", "test":
		default:
			return nil, badRequest("Invalid patch operation %q", p.Op)
		}
	}
	return in.PatchOperations, nil
}

// decodePatchOps decodes patch operations for the AWS input named input (such as
// "updateMethodResponseInput"), answering every unknown op, and the violation more adds
// when it names one, in one ValidationException as AWS does.
func decodePatchOps(body []byte, input string, more func() string) ([]patchOp, error) {
	var in struct {
		PatchOperations []patchOp `json:"patchOperations"`
	}
	if err := decodeBody(body, &in); err != nil {
		return nil, err
	}
	if len(in.PatchOperations) > maxPatchOps {
		return nil, badRequest("too many patch operations: at most %d", maxPatchOps)
	}
	var violations []string
	for i, p := range in.PatchOperations {
		switch p.Op {
		case "add", "remove", "replace", "move", "copy", "test":
		default:
			violations = append(violations, fmt.Sprintf("Value '%s' at '%s.patchOperations.%d.member.op' failed to satisfy constraint: "+
				"Member must satisfy enum value set: [add, remove, move, test, replace, copy]", p.Op, input, i+1))
		}
	}
	if v := more(); v != "" {
		violations = append(violations, v)
	}
	if len(violations) > 0 {
		return nil, validationError(violations...)
	}
	return in.PatchOperations, nil
}

// applyPatch applies the operations in order with apply, stopping at the first error.
func applyPatch(ops []patchOp, apply func(patchOp) error) error {
	for _, p := range ops {
		if err := apply(p); err != nil {
			return err
		}
	}
	return nil
}

// updateStage applies AWS patch operations to a stage with a revision check.
func (s *Service) updateStage(ctx context.Context, st *store, r *http.Request, body []byte) (int, any, error) {
	ops, err := decodePatch(body)
	if err != nil {
		return 0, nil, err
	}
	sg, err := mutateStage(ctx, st, r.PathValue("restapi_id"), r.PathValue("stage_name"), func(sg *model.Stage) error {
		if err := applyPatch(ops, func(p patchOp) error { return applyStagePatch(ctx, st, sg, p) }); err != nil {
			return err
		}
		if err := checkVariables(sg.Variables); err != nil {
			return err
		}
		if sg.CanarySettings != nil {
			return checkCanary(sg.CanarySettings)
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewStage(sg), nil
}

func invalidPatchPath(p patchOp) error { return unsupportedPatch(p) }

func applyStagePatch(ctx context.Context, st *store, sg *model.Stage, p patchOp) error {
	switch {
	case strings.HasPrefix(p.Path, "/variables/"):
		name := strings.TrimPrefix(p.Path, "/variables/")
		if !validVariableName(name) {
			return invalidPatchPath(p)
		}
		switch p.Op {
		case "add", "replace":
			if sg.Variables == nil {
				sg.Variables = map[string]string{}
			}
			sg.Variables[name] = p.Value
		case "remove":
			delete(sg.Variables, name)
		default:
			return invalidPatchPath(p)
		}
		return nil
	case p.Path == "/canarySettings" || strings.HasPrefix(p.Path, "/canarySettings/"):
		return applyCanaryPatch(ctx, st, sg, p)
	case isCacheClusterPath(p.Path):
		return applyCacheClusterPatch(sg, p)
	case isAccessLogPath(p.Path):
		return applyAccessLogPatch(sg, p)
	case p.Op == "copy" && p.Path == "/variables" && p.From == "/canarySettings/stageVariableOverrides":
		// Promotion: the canary's overrides become the stage's variables.
		if sg.CanarySettings == nil {
			return badRequest("The stage has no canary settings to copy from")
		}
		if sg.Variables == nil {
			sg.Variables = map[string]string{}
		}
		for k, v := range sg.CanarySettings.StageVariableOverrides {
			sg.Variables[k] = v
		}
		return nil
	case p.Op == "copy" && p.Path == "/deploymentId" && p.From == "/canarySettings/deploymentId":
		if sg.CanarySettings == nil || sg.CanarySettings.DeploymentID == "" {
			return badRequest("The stage has no canary deployment to copy from")
		}
		sg.DeploymentID = sg.CanarySettings.DeploymentID
		return nil
	case p.Path == "/deploymentId":
		if p.Op != "replace" {
			return invalidPatchPath(p)
		}
		if err := deploymentExists(ctx, st, sg.APIID, p.Value); err != nil {
			return err
		}
		sg.DeploymentID = p.Value
		return nil
	case p.Path == "/description":
		if p.Op != "replace" {
			return invalidPatchPath(p)
		}
		if len(p.Value) > maxDescLen {
			return badRequest("description is longer than %d characters", maxDescLen)
		}
		sg.Description = p.Value
		return nil
	case p.Path == "/tracingEnabled":
		if p.Op != "replace" {
			return invalidPatchPath(p)
		}
		b, err := strconv.ParseBool(p.Value)
		if err != nil {
			return badRequest("Invalid value %q for /tracingEnabled: expected true or false", p.Value)
		}
		sg.TracingEnabled = b
		return nil
	}
	return applyMethodSettingPatch(sg, p)
}

// AWS's account-level throttling, which a new method setting starts from.
const (
	defaultRateLimit  = 10000.0
	defaultBurstLimit = 5000
)

// stagePatchPaths is AWS's list of update-stage paths, verbatim (its missing commas included).
const stagePatchPaths = "[/deploymentId, /description, /cacheClusterEnabled, /cacheClusterSize, /clientCertificateId, /accessLogSettings, " +
	"/accessLogSettings/destinationArn, /accessLogSettings/format, /{resourcePath}/{httpMethod}/metrics/enabled, /{resourcePath}/{httpMethod}/logging/dataTrace, " +
	"/{resourcePath}/{httpMethod}/logging/loglevel, /{resourcePath}/{httpMethod}/throttling/burstLimit/{resourcePath}/{httpMethod}/throttling/rateLimit" +
	"/{resourcePath}/{httpMethod}/caching/ttlInSeconds, /{resourcePath}/{httpMethod}/caching/enabled, /{resourcePath}/{httpMethod}/caching/dataEncrypted, " +
	"/{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl, /{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy, " +
	"/*/*/metrics/enabled, /*/*/logging/dataTrace, /*/*/logging/loglevel, /*/*/throttling/burstLimit /*/*/throttling/rateLimit /*/*/caching/ttlInSeconds, " +
	"/*/*/caching/enabled, /*/*/caching/dataEncrypted, /*/*/caching/requireAuthorizationForCacheControl, /*/*/caching/unauthorizedCacheControlHeaderStrategy, " +
	"/variables/{variable_name}, /tracingEnabled]"

func errStagePatchPath(path string) error {
	return badRequest("Invalid method setting path: %s. Must be one of: %s", path, stagePatchPaths)
}

// applyMethodSettingPatch handles /{resourcePath}/{httpMethod}/{group}/{setting}, where
// "/*/*" is the stage-wide default.
func applyMethodSettingPatch(sg *model.Stage, p patchOp) error {
	parts := strings.Split(p.Path, "/")
	if len(parts) == 3 && parts[0] == "" && parts[1] != "" && parts[2] != "" && p.Op == "remove" {
		key := parts[1] + "/" + parts[2]
		if _, ok := sg.MethodSettings[key]; !ok {
			return badRequest("Cannot remove method setting %s because there is no method setting for this method ", key)
		}
		delete(sg.MethodSettings, key)
		return nil
	}
	if len(parts) != 5 || parts[0] != "" || parts[1] == "" || parts[2] == "" {
		return errStagePatchPath(p.Path)
	}
	if p.Op != "replace" {
		return invalidPatchPath(p)
	}
	key := parts[1] + "/" + parts[2]
	ms, found := sg.MethodSettings[key]
	if !found {
		ms = newMethodSetting(sg, key)
		ms.ThrottlingRateLimit, ms.ThrottlingBurstLimit = defaultRateLimit, defaultBurstLimit
	}
	badValue := func() error {
		return badRequest("Invalid value %q for patch path '%s'", p.Value, p.Path)
	}
	switch parts[3] + "/" + parts[4] {
	case "throttling/rateLimit":
		v, err := strconv.ParseFloat(p.Value, 64)
		if err != nil || v < 0 || v > 1e9 {
			return badValue()
		}
		ms.ThrottlingRateLimit = v
	case "throttling/burstLimit":
		v, err := strconv.ParseInt(p.Value, 10, 64)
		if err != nil || v < 0 || v > 1e9 {
			return badValue()
		}
		ms.ThrottlingBurstLimit = v
	case "caching/enabled", "caching/ttlInSeconds", "caching/dataEncrypted", "caching/requireAuthorizationForCacheControl",
		"caching/unauthorizedCacheControlHeaderStrategy":
		if !applyMethodCachePatch(&ms, parts[4], p.Value) {
			return badValue()
		}
	case "metrics/enabled":
		v, err := strconv.ParseBool(p.Value)
		if err != nil {
			return badValue()
		}
		ms.MetricsEnabled = v
	case "logging/loglevel":
		switch p.Value {
		case "OFF", "ERROR", "INFO":
		default:
			return badValue()
		}
		ms.LoggingLevel = p.Value
	default:
		return invalidPatchPath(p)
	}
	if sg.MethodSettings == nil {
		sg.MethodSettings = map[string]model.MethodSetting{}
	}
	sg.MethodSettings[key] = ms
	return nil
}

// deleteDeployment removes a deployment no stage (nor canary) points at.
func (s *Service) deleteDeployment(ctx context.Context, st *store, r *http.Request, _ []byte) (int, any, error) {
	apiID, id := r.PathValue("restapi_id"), r.PathValue("deployment_id")
	_, rev, err := read[model.Deployment](ctx, st, deploymentKey(apiID, id), errNoDeployment())
	if err != nil {
		return 0, nil, err
	}
	stages, err := readAll[model.Stage](ctx, st, wire.KeyStagesPrefix+apiID+".*")
	if err != nil {
		return 0, nil, err
	}
	for _, sg := range stages {
		if sg.DeploymentID == id || sg.CanarySettings != nil && sg.CanarySettings.DeploymentID == id {
			return 0, nil, badRequest("Active stages pointing to this deployment must be moved or deleted")
		}
	}
	if err := st.remove(ctx, wire.KeyDeployment(apiID, id), rev); err != nil {
		return 0, nil, storeErr(err, "deployment")
	}
	status := http.StatusAccepted
	if strings.HasPrefix(r.URL.Path, "/v2/") {
		status = http.StatusNoContent
	}
	return status, nil, nil
}

// Bounds of canary settings.
const maxCanaryPercent = 100.0

func checkCanary(c *model.CanarySettings) error {
	if c.PercentTraffic < 0 || c.PercentTraffic > maxCanaryPercent {
		return badRequest("Canary percentTraffic must be between 0.0 and 100.0")
	}
	return checkVariables(c.StageVariableOverrides)
}

// applyCanaryPatch handles /canarySettings (remove) and /canarySettings/{percentTraffic,
// deploymentId, useStageCache, stageVariableOverrides/{name}}.
func applyCanaryPatch(ctx context.Context, st *store, sg *model.Stage, p patchOp) error {
	if p.Path == "/canarySettings" {
		if p.Op != "remove" {
			return invalidPatchPath(p)
		}
		sg.CanarySettings = nil
		return nil
	}
	c := sg.CanarySettings
	if c == nil {
		c = &model.CanarySettings{}
	}
	field := strings.TrimPrefix(p.Path, "/canarySettings/")
	switch {
	case field == "percentTraffic":
		if p.Op != "replace" {
			return invalidPatchPath(p)
		}
		v, err := strconv.ParseFloat(p.Value, 64)
		if err != nil || v < 0 || v > maxCanaryPercent {
			return badRequest("Canary percentTraffic must be between 0.0 and 100.0")
		}
		c.PercentTraffic = v
	case field == "deploymentId":
		if p.Op != "replace" {
			return invalidPatchPath(p)
		}
		if err := deploymentExists(ctx, st, sg.APIID, p.Value); err != nil {
			return err
		}
		c.DeploymentID = p.Value
	case field == "useStageCache":
		v, err := strconv.ParseBool(p.Value)
		if err != nil || p.Op != "replace" {
			return badRequest("Invalid value %q for patch path '%s'", p.Value, p.Path)
		}
		c.UseStageCache = v
	case strings.HasPrefix(field, "stageVariableOverrides/"):
		name := strings.TrimPrefix(field, "stageVariableOverrides/")
		if !validVariableName(name) {
			return invalidPatchPath(p)
		}
		switch p.Op {
		case "add", "replace":
			if len(p.Value) > maxVarValueLen {
				return badRequest("stage variable %q is longer than %d characters", name, maxVarValueLen)
			}
			if c.StageVariableOverrides == nil {
				c.StageVariableOverrides = map[string]string{}
			}
			c.StageVariableOverrides[name] = p.Value
		case "remove":
			delete(c.StageVariableOverrides, name)
		default:
			return invalidPatchPath(p)
		}
	default:
		return invalidPatchPath(p)
	}
	if c.DeploymentID == "" {
		// AWS starts a canary on the stage's current deployment until one is deployed.
		c.DeploymentID = sg.DeploymentID
	}
	sg.CanarySettings = c
	return nil
}
