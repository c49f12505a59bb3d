package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"

	"github.com/spf13/cobra"
)

func newExportCmd() *cobra.Command {
	var apiID, stage, typ, format, admin string
	var noExt bool
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export the definition deployed at a stage as OpenAPI 3 or Swagger 2 (get-export)",
		Long: "export prints the deployment a stage points at, with the x-amazon-apigateway-* extensions\n" +
			"(unless --no-extensions), so that `portico import` takes it back unchanged.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := validName("api", apiID); err != nil {
				return err
			}
			if err := validName("stage", stage); err != nil {
				return err
			}
			if typ != "oas30" && typ != "swagger" {
				return fmt.Errorf("--type %q: want oas30 or swagger", typ)
			}
			accept := "application/json"
			switch format {
			case "json":
			case "yaml":
				accept = "application/yaml"
			default:
				return fmt.Errorf("--format %q: want json or yaml", format)
			}
			c, err := newAdminClient(admin)
			if err != nil {
				return err
			}
			path := "/restapis/" + url.PathEscape(apiID) + "/stages/" + url.PathEscape(stage) + "/exports/" + typ
			if !noExt {
				path += "?extensions=apigateway"
			}
			data, err := c.send(cmd.Context(), http.MethodGet, path, nil, accept)
			if err != nil {
				return err
			}
			_, err = cmd.OutOrStdout().Write(data)
			return err
		},
	}
	def := os.Getenv("PORTICO_ADMIN_URL")
	if def == "" {
		def = defaultAdminURL
	}
	cmd.Flags().StringVar(&admin, "admin", def, "admin API base URL (env PORTICO_ADMIN_URL)")
	cmd.Flags().StringVar(&apiID, "api", "", "API id")
	cmd.Flags().StringVar(&stage, "stage", "", "stage whose deployment to export")
	cmd.Flags().StringVar(&typ, "type", "oas30", "export type: oas30 or swagger")
	cmd.Flags().StringVar(&format, "format", "yaml", "document format: json or yaml")
	cmd.Flags().BoolVar(&noExt, "no-extensions", false, "leave out the x-amazon-apigateway-* extensions")
	_ = cmd.MarkFlagRequired("api")
	_ = cmd.MarkFlagRequired("stage")
	return cmd
}

func init() { rootCmd.AddCommand(newExportCmd()) }
