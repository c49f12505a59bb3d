package main

import (
	"fmt"
	"net/http"

	"github.com/spf13/cobra"
)

// apiKeyResult is what `portico apikey create -o json` prints.
type apiKeyResult struct {
	ID    string `json:"id"`
	Value string `json:"value"`
}

func newAPIKeyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "apikey",
		Short: "Manage API keys",
	}
	cmd.AddCommand(newAPIKeyCreateCmd())
	return cmd
}

func newAPIKeyCreateCmd() *cobra.Command {
	var (
		af                 adminFlags
		apiID, stage, name string
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an enabled API key for a stage and print its value (shown only this once)",
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
			in := map[string]any{
				"name":      name,
				"enabled":   true,
				"stageKeys": []map[string]string{{"restApiId": apiID, "stageName": stage}},
			}
			var k apiKeyResult
			if err := c.doJSON(cmd.Context(), http.MethodPost, "/apikeys", in, &k); err != nil {
				return err
			}
			if af.output == "json" {
				return printJSON(cmd.OutOrStdout(), k)
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), k.Value)
			return err
		},
	}
	af.register(cmd)
	cmd.Flags().StringVar(&apiID, "api", "", "API id")
	cmd.Flags().StringVar(&stage, "stage", "", "stage the key is valid for")
	cmd.Flags().StringVar(&name, "name", "", "key name")
	_ = cmd.MarkFlagRequired("api")
	_ = cmd.MarkFlagRequired("stage")
	return cmd
}

func init() { rootCmd.AddCommand(newAPIKeyCmd()) }
