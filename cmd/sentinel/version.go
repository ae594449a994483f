package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at release time with -ldflags "-X main.version=v1.2.3".
var version = "v0.1.0-dev"

func newVersion() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print sentinel's version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "sentinel %s\n", versionString())
			return nil
		},
	}
}

// versionString is what 'sentinel version' and 'sentinel --version'
// print after "sentinel ": "v1.2.3 (go1.26.8, linux/amd64)".
func versionString() string {
	v := version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "v0.1.0-dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	return fmt.Sprintf("%s (%s, %s/%s)", v, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// noArgs rejects arguments as bad usage.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.CommandPath(), args[0])
	}
	return nil
}

// oneArg requires exactly one argument, as bad usage otherwise.
func oneArg(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usagef("%s takes one argument, got %d", cmd.CommandPath(), len(args))
	}
	return nil
}
