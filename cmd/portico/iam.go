package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"

	"github.com/spf13/cobra"
)

// iamUserResult is what `portico iam create-user -o json` prints.
type iamUserResult struct {
	UserName        string `json:"userName"`
	UserARN         string `json:"userArn"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
}

func newIAMCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "iam",
		Short: "Manage the IAM users whose SigV4 credentials AWS_IAM routes and @connections accept",
	}
	cmd.AddCommand(newIAMCreateUserCmd(), newIAMDeleteUserCmd())
	return cmd
}

func newIAMCreateUserCmd() *cobra.Command {
	var (
		af       adminFlags
		name     string
		policies []string
	)
	cmd := &cobra.Command{
		Use:   "create-user",
		Short: "Create a user with an access key and execute-api policies; prints the secret (shown only this once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			docs := make([]json.RawMessage, 0, len(policies))
			for _, f := range policies {
				b, err := os.ReadFile(f)
				if err != nil {
					return fmt.Errorf("--policy-file: %w", err)
				}
				if !json.Valid(b) {
					return fmt.Errorf("--policy-file %s: not JSON", f)
				}
				docs = append(docs, b)
			}
			var u iamUserResult
			in := map[string]any{"userName": name, "policies": docs}
			if err := c.doJSON(cmd.Context(), http.MethodPost, "/portico/iam/users", in, &u); err != nil {
				return err
			}
			if af.output == "json" {
				return printJSON(cmd.OutOrStdout(), u)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "%s %s\n", u.AccessKeyID, u.SecretAccessKey)
			return err
		},
	}
	af.register(cmd)
	cmd.Flags().StringVar(&name, "name", "", "user name")
	cmd.Flags().StringArrayVar(&policies, "policy-file", nil, "IAM policy document (JSON file); repeatable")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func newIAMDeleteUserCmd() *cobra.Command {
	var (
		af  adminFlags
		key string
	)
	cmd := &cobra.Command{
		Use:   "delete-user",
		Short: "Delete a user by access key id: its signatures are refused on every edge at once",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			return c.doJSON(cmd.Context(), http.MethodDelete, "/portico/iam/users/"+key, nil, nil)
		},
	}
	af.register(cmd)
	cmd.Flags().StringVar(&key, "access-key-id", "", "the user's access key id")
	_ = cmd.MarkFlagRequired("access-key-id")
	return cmd
}

func init() { rootCmd.AddCommand(newIAMCmd()) }
