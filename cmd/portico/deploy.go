package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/spf13/cobra"
)

// deployResult is what `portico deploy -o json` prints.
type deployResult struct {
	APIID        string `json:"apiId"`
	Stage        string `json:"stage"`
	DeploymentID string `json:"deploymentId"`
	InvokeURL    string `json:"invokeUrl"`
	// CanaryDeploymentID is set when the deployment went to the stage's canary.
	CanaryDeploymentID string  `json:"canaryDeploymentId,omitempty"`
	CanaryPercent      float64 `json:"canaryPercent,omitempty"`
}

// patchOp is AWS's PatchOperation.
type patchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value string `json:"value,omitempty"`
	From  string `json:"from,omitempty"`
}

// stageView is the part of AWS's Stage that deploy reports.
type stageView struct {
	DeploymentID   string `json:"deploymentId"`
	CanarySettings *struct {
		DeploymentID   string  `json:"deploymentId"`
		PercentTraffic float64 `json:"percentTraffic"`
	} `json:"canarySettings"`
}

func newDeployCmd() *cobra.Command {
	var (
		af                        adminFlags
		apiID, stage, description string
		canaryPercent             float64
		canaryVars                []string
		promote                   bool
		rollbackTo                string
	)
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Deploy an API's current definition to a stage (create-deployment), to its canary, promote the canary or roll back",
		Long: `deploy snapshots the API and points the stage at the snapshot (aws apigateway create-deployment).
  --canary-percent P   deploys to the stage's canary instead, which then gets P% of the traffic
                       (--canary-variable k=v overrides stage variables for canary requests)
  --promote            points the stage at its canary's deployment and removes the canary
  --rollback-to ID     points the stage at an earlier deployment`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			if err := validName("api", apiID); err != nil {
				return err
			}
			if err := validName("stage", stage); err != nil {
				return err
			}
			modes := 0
			for _, on := range []bool{canaryPercent != 0 || len(canaryVars) > 0, promote, rollbackTo != ""} {
				if on {
					modes++
				}
			}
			if modes > 1 {
				return errors.New("--canary-percent, --promote and --rollback-to exclude each other")
			}
			if canaryPercent < 0 || canaryPercent > 100 {
				return errors.New("--canary-percent must be between 0 and 100")
			}
			stagePath := "/restapis/" + url.PathEscape(apiID) + "/stages/" + url.PathEscape(stage)
			var res deployResult
			switch {
			case promote, rollbackTo != "":
				ops := []patchOp{{Op: "copy", From: "/canarySettings/deploymentId", Path: "/deploymentId"},
					{Op: "copy", From: "/canarySettings/stageVariableOverrides", Path: "/variables"},
					{Op: "remove", Path: "/canarySettings"}}
				if rollbackTo != "" {
					if err := validName("rollback-to", rollbackTo); err != nil {
						return err
					}
					ops = []patchOp{{Op: "replace", Path: "/deploymentId", Value: rollbackTo}}
				}
				var sg stageView
				if err := c.doJSON(cmd.Context(), http.MethodPatch, stagePath, map[string]any{"patchOperations": ops}, &sg); err != nil {
					return err
				}
				res = deployResult{APIID: apiID, Stage: stage, DeploymentID: sg.DeploymentID}
			default:
				in := map[string]any{"stageName": stage, "description": description}
				if canaryPercent != 0 || len(canaryVars) > 0 {
					overrides := map[string]string{}
					for _, kv := range canaryVars {
						k, v, ok := strings.Cut(kv, "=")
						if !ok || k == "" {
							return fmt.Errorf("--canary-variable %q: want name=value", kv)
						}
						overrides[k] = v
					}
					in["canarySettings"] = map[string]any{"percentTraffic": canaryPercent, "stageVariableOverrides": overrides}
				}
				var d struct {
					ID string `json:"id"`
				}
				if err := c.doJSON(cmd.Context(), http.MethodPost, "/restapis/"+url.PathEscape(apiID)+"/deployments", in, &d); err != nil {
					return err
				}
				res = deployResult{APIID: apiID, Stage: stage, DeploymentID: d.ID}
				if _, ok := in["canarySettings"]; ok {
					var sg stageView
					if err := c.doJSON(cmd.Context(), http.MethodGet, stagePath, nil, &sg); err != nil {
						return err
					}
					res.DeploymentID, res.CanaryDeploymentID, res.CanaryPercent = sg.DeploymentID, d.ID, canaryPercent
				}
			}
			invoke, err := c.invokeURL(cmd.Context(), apiID, stage)
			if err != nil {
				return err
			}
			res.InvokeURL = invoke
			if af.output == "json" {
				return printJSON(cmd.OutOrStdout(), res)
			}
			if _, err = fmt.Fprintf(cmd.OutOrStdout(), "deploymentId: %s\ninvokeUrl:    %s\n", res.DeploymentID, res.InvokeURL); err != nil {
				return err
			}
			if res.CanaryDeploymentID != "" {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "canary:       %s at %g%%\n", res.CanaryDeploymentID, res.CanaryPercent)
			}
			return err
		},
	}
	af.register(cmd)
	cmd.Flags().StringVar(&apiID, "api", "", "API id")
	cmd.Flags().StringVar(&stage, "stage", "", "stage to point at the new deployment (created if missing)")
	cmd.Flags().StringVar(&description, "description", "", "deployment description")
	cmd.Flags().Float64Var(&canaryPercent, "canary-percent", 0, "deploy to the stage's canary, which gets this percentage of traffic")
	cmd.Flags().StringArrayVar(&canaryVars, "canary-variable", nil, "stage variable override for canary requests, name=value (repeatable)")
	cmd.Flags().BoolVar(&promote, "promote", false, "point the stage at its canary's deployment and remove the canary")
	cmd.Flags().StringVar(&rollbackTo, "rollback-to", "", "point the stage at this earlier deployment id")
	_ = cmd.MarkFlagRequired("api")
	_ = cmd.MarkFlagRequired("stage")
	return cmd
}

func init() { rootCmd.AddCommand(newDeployCmd()) }
