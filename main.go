//go:build !desktop && !bindings

package main

// This is the plain build (konsole and serve, no window).

import (
	"os"

	"github.com/konui/konui/backend/cli"
)

func main() {
	cli.Version = appVersion()
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
