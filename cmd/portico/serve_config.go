package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.opentelemetry.io/otel/trace/noop"
	"sigs.k8s.io/yaml"

	"github.com/portico/portico/pkg/telemetry"
)

// Settings of `portico serve` come from, strongest first: the command line, the environment
// (PORTICO_<FLAG> with the flag's dashes as underscores, e.g. PORTICO_HTTP_ADDR), the YAML file
// of --config (keys are the flag names: `http-addr: 0.0.0.0:8080`), then the defaults. A key
// the file does not know, or a value its flag refuses, is an error naming both.

// maxConfigBytes bounds a --config file.
const maxConfigBytes = 1 << 20

// envPrefix starts the environment variable of every serve flag.
const envPrefix = "PORTICO_"

// addConfigFile gives serve its --config flag and environment overrides, and adds
// `portico check-config`, which applies the same settings and validates them without serving.
func addConfigFile(serveCmd *cobra.Command, o *serveOptions) {
	var path string
	serveCmd.Flags().StringVar(&path, "config", "", "YAML file of serve settings (keys are flag names); flags and PORTICO_* environment variables win over it")
	serveCmd.PreRunE = func(cmd *cobra.Command, _ []string) error {
		return applySettings(cmd.Flags(), path, os.LookupEnv)
	}
	check := &cobra.Command{
		Use:   "check-config",
		Short: "Validate serve's settings (--config file, PORTICO_* environment, flags) and exit",
		Long: "check-config applies the settings `portico serve` would run with and builds every selected " +
			"service without starting any (no port is opened, nothing is written): exit 0 and a summary when " +
			"they are valid, exit 1 and every problem otherwise.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applySettings(cmd.Flags(), path, os.LookupEnv); err != nil {
				return err
			}
			roles, err := checkSettings(*o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "configuration OK: roles %s, edge %s, admin %s\n",
				strings.Join(roles, ","), o.httpAddr, o.adminAddr)
			return nil
		},
	}
	check.Flags().AddFlagSet(serveCmd.Flags())
	rootCmd.AddCommand(check)
}

// applySettings sets every flag not given on the command line from the environment, then from
// the file at path (when not empty).
func applySettings(fs *pflag.FlagSet, path string, lookupEnv func(string) (string, bool)) error {
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || f.Name == "config" {
			return
		}
		name := envName(f.Name)
		if v, ok := lookupEnv(name); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s=%q: %w", name, v, err))
			}
		}
	})
	if len(errs) > 0 || path == "" {
		return errors.Join(errs...)
	}
	settings, err := readSettings(path)
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		f := fs.Lookup(k)
		if f == nil || k == "config" {
			errs = append(errs, fmt.Errorf("config %s: unknown setting %q (settings are the flags of portico serve)", path, k))
			continue
		}
		if f.Changed {
			continue // the command line or the environment said otherwise
		}
		v, err := settingValue(settings[k])
		if err == nil {
			err = fs.Set(k, v)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("config %s: %s: %w", path, k, err))
		}
	}
	return errors.Join(errs...)
}

// envName is the environment variable of a flag: http-addr → PORTICO_HTTP_ADDR.
func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// readSettings decodes a YAML mapping of flag names to values.
func readSettings(path string) (map[string]any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigBytes+1))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if len(data) > maxConfigBytes {
		return nil, fmt.Errorf("config %s: larger than %d bytes", path, maxConfigBytes)
	}
	var settings map[string]any
	if err := yaml.Unmarshal(data, &settings); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return settings, nil
}

// settingValue is a YAML value as its flag's text: scalars as written, a list as a
// comma-separated one (services: [edge, authz]).
func settingValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			s, err := settingValue(e)
			if err != nil {
				return "", err
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, ","), nil
	case nil:
		return "", errors.New("no value")
	}
	return "", fmt.Errorf("a %T is not a flag value", v)
}

// checkSettings builds every role serve would run, against a throwaway in-process NATS server
// (services validate in New and do no I/O there), and returns the roles.
func checkSettings(o serveOptions) ([]string, error) {
	roles, err := parseRoles(o.services)
	if err != nil {
		return nil, err
	}
	var errs []error
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		errs = append(errs, fmt.Errorf("--log-level: %w", err))
	}
	ns, err := server.NewServer(&server.Options{DontListen: true, NoLog: true, NoSigs: true})
	if err != nil {
		return nil, err
	}
	ns.Start()
	defer ns.Shutdown()
	nc, err := nats.Connect("", nats.InProcessServer(ns))
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	log := telemetry.Logger(slog.LevelError)
	if _, err := buildRoles(o, roles, runtimeDeps{log: log, tracer: noop.NewTracerProvider(), reg: prometheus.NewRegistry(), nc: nc}); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	names := make([]string, 0, len(roles))
	for _, r := range allRoles {
		if roles[r] {
			names = append(names, r)
		}
	}
	return names, nil
}
