package main

import (
	"fmt"
	"net/http"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
)

// backendsResult is what `portico backends -o json` prints: admin's GET /portico/backends.
type backendsResult struct {
	Backends []struct {
		Name      string    `json:"name"`
		ID        string    `json:"id"`
		Version   string    `json:"version"`
		Started   time.Time `json:"started"`
		Endpoints []struct {
			Name                  string `json:"name"`
			Subject               string `json:"subject"`
			QueueGroup            string `json:"queueGroup,omitempty"`
			Requests              int    `json:"requests"`
			Errors                int    `json:"errors"`
			LastError             string `json:"lastError,omitempty"`
			AverageProcessingTime string `json:"averageProcessingTime"`
		} `json:"endpoints"`
	} `json:"backends"`
	Integrations []struct {
		APIID     string `json:"apiId"`
		Stage     string `json:"stage"`
		Route     string `json:"route"`
		Type      string `json:"type"`
		Subject   string `json:"subject"`
		Instances int    `json:"instances"`
	} `json:"integrations"`
}

func newBackendsCmd() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "backends",
		Short: "List the backends on the bus and how many serve each stage's NATS and Lambda integrations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := af.client()
			if err != nil {
				return err
			}
			var res backendsResult
			if err := c.doJSON(cmd.Context(), http.MethodGet, "/portico/backends", nil, &res); err != nil {
				return err
			}
			if af.output == "json" {
				return printJSON(cmd.OutOrStdout(), res)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "BACKEND\tVERSION\tID\tSUBJECT\tREQUESTS\tERRORS\tAVG")
			for _, b := range res.Backends {
				for _, e := range b.Endpoints {
					fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%d\t%d\t%s\n", b.Name, b.Version, b.ID, e.Subject, e.Requests, e.Errors, e.AverageProcessingTime)
				}
			}
			fmt.Fprintln(w, "\nAPI\tSTAGE\tROUTE\tTYPE\tSUBJECT\tINSTANCES\t")
			for _, i := range res.Integrations {
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%d\t\n", i.APIID, i.Stage, i.Route, i.Type, i.Subject, i.Instances)
			}
			return w.Flush()
		},
	}
	af.register(cmd)
	return cmd
}

func init() { rootCmd.AddCommand(newBackendsCmd()) }
