// Command konui-man prints the konui(1) man page, generated from the
// flags of every command: konui-man VERSION DATE > konui.1
package main

import (
	"fmt"
	"os"

	"github.com/konui/konui/backend/cli"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: konui-man VERSION YYYY-MM-DD")
		os.Exit(2)
	}
	if err := cli.WriteManPage(os.Stdout, os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "konui-man:", err)
		os.Exit(1)
	}
}
