package main

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"

	"github.com/spf13/cobra"
)

// importResult is what `portico import -o json` prints.
type importResult struct {
	APIID     string `json:"apiId"`
	Stage     string `json:"stage"`
	InvokeURL string `json:"invokeUrl"`
}

func newImportCmd() *cobra.Command {
	var (
		af            adminFlags
		stage, apiID  string
		rate          float64
		burst         int64
		setRate, setB bool
	)
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import an OpenAPI 3 / Swagger 2 definition (JSON or YAML) and deploy it to a stage",
		Long: "import creates a REST API from FILE (import-rest-api), or replaces API --api with it\n" +
			"(put-rest-api mode=overwrite), deploys it to --stage (create-deployment), applies the stage\n" +
			"throttle when given (update-stage) and prints the API id and the invoke URL.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			if err := validName("stage", stage); err != nil {
				return err
			}
			setRate, setB = cmd.Flags().Changed("throttle-rate"), cmd.Flags().Changed("throttle-burst")
			if (setRate && rate < 0) || (setB && burst < 0) {
				return fmt.Errorf("--throttle-rate and --throttle-burst must not be negative")
			}
			doc, err := readDocument(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			var api struct {
				ID string `json:"id"`
			}
			if apiID == "" {
				err = c.do(ctx, http.MethodPost, "/restapis?mode=import", doc, &api)
			} else {
				if err := validName("api", apiID); err != nil {
					return err
				}
				err = c.do(ctx, http.MethodPut, "/restapis/"+url.PathEscape(apiID)+"?mode=overwrite", doc, &api)
			}
			if err != nil {
				return err
			}
			stagePath := "/restapis/" + url.PathEscape(api.ID)
			if err := c.doJSON(ctx, http.MethodPost, stagePath+"/deployments", map[string]string{"stageName": stage}, nil); err != nil {
				return err
			}
			var ops []patchOperation
			if setRate {
				ops = append(ops, patchOperation{Op: "replace", Path: "/*/*/throttling/rateLimit", Value: strconv.FormatFloat(rate, 'f', -1, 64)})
			}
			if setB {
				ops = append(ops, patchOperation{Op: "replace", Path: "/*/*/throttling/burstLimit", Value: strconv.FormatInt(burst, 10)})
			}
			if len(ops) > 0 {
				err := c.doJSON(ctx, http.MethodPatch, stagePath+"/stages/"+url.PathEscape(stage), map[string]any{"patchOperations": ops}, nil)
				if err != nil {
					return err
				}
			}
			invoke, err := c.invokeURL(ctx, api.ID, stage)
			if err != nil {
				return err
			}
			res := importResult{APIID: api.ID, Stage: stage, InvokeURL: invoke}
			if af.output == "json" {
				return printJSON(cmd.OutOrStdout(), res)
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "apiId:     %s\nstage:     %s\ninvokeUrl: %s\n", res.APIID, res.Stage, res.InvokeURL)
			return err
		},
	}
	af.register(cmd)
	cmd.Flags().StringVar(&stage, "stage", "", "stage to deploy to (created if missing)")
	cmd.Flags().StringVar(&apiID, "api", "", "replace this existing API instead of creating one")
	cmd.Flags().Float64Var(&rate, "throttle-rate", 0, "stage-wide steady-state rate limit (requests per second)")
	cmd.Flags().Int64Var(&burst, "throttle-burst", 0, "stage-wide burst limit")
	_ = cmd.MarkFlagRequired("stage")
	return cmd
}

// readDocument reads an API definition, at most maxDocumentBytes ("-" is stdin).
func readDocument(name string) ([]byte, error) {
	var r io.Reader = os.Stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	b, err := io.ReadAll(io.LimitReader(r, maxDocumentBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(b) > maxDocumentBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, maxDocumentBytes)
	}
	return b, nil
}

func init() { rootCmd.AddCommand(newImportCmd()) }
