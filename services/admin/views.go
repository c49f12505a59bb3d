package admin

import (
	"crypto/rand"
	"time"

	"github.com/portico/portico/pkg/model"
)

// The AWS response shapes. Timestamps are epoch seconds, as AWS's REST-JSON sends them.

type restAPIView struct {
	ID                     string         `json:"id"`
	Name                   string         `json:"name"`
	Description            string         `json:"description,omitempty"`
	CreatedDate            int64          `json:"createdDate"`
	Version                string         `json:"version,omitempty"`
	BinaryMediaTypes       []string       `json:"binaryMediaTypes,omitempty"`
	APIKeySource           string         `json:"apiKeySource"`
	EndpointConfiguration  endpointConfig `json:"endpointConfiguration"`
	Policy                 string         `json:"policy,omitempty"`
	MinimumCompressionSize *int           `json:"minimumCompressionSize,omitempty"`
	// Tags is a pointer so that an update's answer can carry AWS's "tags": {} while a create
	// or get without tags omits the member, as AWS does.
	Tags                     *map[string]string `json:"tags,omitempty"`
	RootResourceID           string             `json:"rootResourceId,omitempty"`
	DisableExecuteAPI        bool               `json:"disableExecuteApiEndpoint"`
	ProtocolType             string             `json:"protocolType,omitempty"`
	RouteSelectionExpression string             `json:"routeSelectionExpression,omitempty"`
}

type endpointConfig struct {
	IPAddressType  string   `json:"ipAddressType,omitempty"`
	Types          []string `json:"types"`
	VPCEndpointIDs []string `json:"vpcEndpointIds,omitempty"`
}

// defaultEndpoint is AWS's endpoint configuration of an API created without one.
func defaultEndpoint() endpointConfig {
	return endpointConfig{IPAddressType: "ipv4", Types: []string{"EDGE"}}
}

func epoch(t time.Time) int64 { return t.Unix() }

func viewRestAPI(a *model.RestAPI) restAPIView {
	v := restAPIView{
		ID: a.ID, Name: a.Name, Description: a.Description, CreatedDate: epoch(a.CreatedDate),
		Version: a.Version, BinaryMediaTypes: a.BinaryMediaTypes, APIKeySource: a.APIKeySource,
		EndpointConfiguration: endpointView(a), Policy: a.Policy, MinimumCompressionSize: a.MinimumCompressionSize,
		DisableExecuteAPI: a.DisableExecuteAPIEndpoint,
		ProtocolType:      a.Protocol, RouteSelectionExpression: a.RouteSelectionExpression,
	}
	if len(a.Tags) > 0 {
		v.Tags = &a.Tags
	}
	if v.APIKeySource == "" {
		v.APIKeySource = "HEADER"
	}
	for _, r := range a.Resources {
		if r.Path == "/" {
			v.RootResourceID = r.ID
		}
	}
	return v
}

type deploymentView struct {
	ID          string `json:"id"`
	Description string `json:"description,omitempty"`
	CreatedDate int64  `json:"createdDate"`
}

func viewDeployment(d *model.Deployment) deploymentView {
	return deploymentView{ID: d.ID, Description: d.Description, CreatedDate: epoch(d.CreatedDate)}
}

type stageView struct {
	DeploymentID      string                       `json:"deploymentId"`
	StageName         string                       `json:"stageName"`
	Description       string                       `json:"description,omitempty"`
	MethodSettings    map[string]methodSettingView `json:"methodSettings"`
	Variables         map[string]string            `json:"variables,omitempty"`
	TracingEnabled    bool                         `json:"tracingEnabled"`
	CanarySettings    *model.CanarySettings        `json:"canarySettings,omitempty"`
	CreatedDate       int64                        `json:"createdDate"`
	LastUpdatedDate   int64                        `json:"lastUpdatedDate"`
	CacheCluster      bool                         `json:"cacheClusterEnabled"`
	CacheSize         string                       `json:"cacheClusterSize,omitempty"`
	CacheStatus       string                       `json:"cacheClusterStatus"`
	WebACLArn         string                       `json:"webAclArn,omitempty"`
	AccessLogSettings *model.AccessLogSettings     `json:"accessLogSettings,omitempty"`
}

// methodSettingView is AWS's MethodSetting field names (model.MethodSetting omits zeros).
type methodSettingView struct {
	MetricsEnabled bool `json:"metricsEnabled"`
	// DataTraceEnabled is always AWS's default, false: Portico logs no request data.
	DataTraceEnabled     bool    `json:"dataTraceEnabled"`
	LoggingLevel         string  `json:"loggingLevel,omitempty"`
	ThrottlingBurstLimit int64   `json:"throttlingBurstLimit"`
	ThrottlingRateLimit  float64 `json:"throttlingRateLimit"`
	methodCacheView
}

func viewStage(s *model.Stage) stageView {
	v := stageView{
		DeploymentID: s.DeploymentID, StageName: s.StageName, Description: s.Description,
		Variables: s.Variables, TracingEnabled: s.TracingEnabled, CanarySettings: s.CanarySettings,
		CreatedDate: epoch(s.CreatedDate), LastUpdatedDate: epoch(s.LastUpdatedDate), CacheStatus: cacheStatus(s),
		WebACLArn: s.WebACLArn, AccessLogSettings: s.AccessLogSettings, CacheCluster: s.CacheClusterEnabled, CacheSize: s.CacheClusterSize,
	}
	v.MethodSettings = make(map[string]methodSettingView, len(s.MethodSettings))
	{
		for k, m := range s.MethodSettings {
			v.MethodSettings[k] = methodSettingView{
				MetricsEnabled: m.MetricsEnabled, LoggingLevel: m.LoggingLevel,
				ThrottlingBurstLimit: m.ThrottlingBurstLimit, ThrottlingRateLimit: m.ThrottlingRateLimit,
				methodCacheView: viewMethodCache(&m),
			}
		}
	}
	return v
}

type apiKeyView struct {
	ID              string   `json:"id"`
	Value           string   `json:"value,omitempty"`
	Name            string   `json:"name,omitempty"`
	Description     string   `json:"description,omitempty"`
	Enabled         bool     `json:"enabled"`
	CreatedDate     int64    `json:"createdDate"`
	LastUpdatedDate int64    `json:"lastUpdatedDate"`
	StageKeys       []string `json:"stageKeys"`
	// Tags is {} on update-api-key's answer, as AWS's: Portico keeps no API key tags.
	Tags map[string]string `json:"tags,omitzero"`
}

func viewAPIKey(k *model.APIKey) apiKeyView {
	sk := k.StageKeys
	if sk == nil {
		sk = []string{}
	}
	return apiKeyView{
		ID: k.ID, Name: k.Name, Description: k.Description, Enabled: k.Enabled,
		CreatedDate: epoch(k.CreatedDate), LastUpdatedDate: epoch(k.LastUpdatedDate), StageKeys: sk,
	}
}

// items is AWS's paged list shape; the JSON member is "item".
type items[T any] struct {
	Item []T `json:"item"`
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// newID returns a 10-character lowercase alphanumeric id, as AWS's resource ids.
func newID() string { return randomString(10, idAlphabet) }

func randomString(n int, alphabet string) string {
	// Rejection sampling keeps every character equally likely.
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, 2*n)
	for len(out) < n {
		_, _ = rand.Read(buf)
		for _, c := range buf {
			if int(c) < limit && len(out) < n {
				out = append(out, alphabet[int(c)%len(alphabet)])
			}
		}
	}
	return string(out)
}
