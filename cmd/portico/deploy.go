package main

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

// deployResult is what `portico deploy -o json` prints.
type deployResult struct {
	APIID        string `json:"apiId"`
	Stage        string `json:"stage"`
	DeploymentID string `json:"deploymentId"`
	InvokeURL    string `json:"invokeUrl"`
}

func newDeployCmd() *cobra.Command {
	var (
		af                        adminFlags
		apiID, stage, description string
	)
	cmd := &cobra.Command{
		Use:   "deploy",
		Short: "Deploy an API's current definition to a stage (create-deployment)",
		Args:  cobra.NoArgs,
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
			var d struct {
				ID string `json:"id"`
			}
			in := map[string]string{"stageName": stage, "description": description}
			if err := c.doJSON(cmd.Context(), http.MethodPost, "/restapis/"+url.PathEscape(apiID)+"/deployments", in, &d); err != nil {
				return err
			}
			invoke, err := c.invokeURL(cmd.Context(), apiID, stage)
			if err != nil {
				return err
			}
			res := deployResult{APIID: apiID, Stage: stage, DeploymentID: d.ID, InvokeURL: invoke}
			if af.output == "json" {
				return printJSON(cmd.OutOrStdout(), res)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "deploymentId: %s\ninvokeUrl:    %s\n", res.DeploymentID, res.InvokeURL)
			return err
		},
	}
	af.register(cmd)
	cmd.Flags().StringVar(&apiID, "api", "", "API id")
	cmd.Flags().StringVar(&stage, "stage", "", "stage to point at the new deployment (created if missing)")
	cmd.Flags().StringVar(&description, "description", "", "deployment description")
	_ = cmd.MarkFlagRequired("api")
	_ = cmd.MarkFlagRequired("stage")
	return cmd
}

func init() { rootCmd.AddCommand(newDeployCmd()) }
