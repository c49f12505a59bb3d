package edge

import "github.com/portico/portico/pkg/model"

// defaultStageName is an HTTP API's default stage, served at the root of the API's host.
const defaultStageName = "$default"

// defaultStage serves a host-style request whose first segment names no stage from the
// HTTP API's $default stage, with that segment kept in the path (as AWS: /pets on the
// $default stage, /prod/pets on the prod stage).
func (s *Service) defaultStage(apiID, stage, path string) (*stageState, string) {
	if stage == defaultStageName {
		return nil, path
	}
	st := (*s.tables.Load())[apiID+"/"+defaultStageName]
	if st == nil || st.protocol() != model.ProtocolHTTP {
		return nil, path
	}
	if path == "/" {
		return st, "/" + stage
	}
	return st, "/" + stage + path
}
