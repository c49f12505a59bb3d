// Command portico is Portico's one binary: `portico serve` runs any set of roles (all of them,
// with an embedded NATS server, by default); the other verbs are thin clients of admin's API.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// rootCmd is the portico command; each verb adds itself in its own file's init.
var rootCmd = &cobra.Command{
	Use:           "portico",
	Short:         "Portico: a self-hosted API gateway with the AWS API Gateway feature set, over NATS",
	SilenceUsage:  true,
	SilenceErrors: true,
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "portico:", err)
		os.Exit(1)
	}
}
