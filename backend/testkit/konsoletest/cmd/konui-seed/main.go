// Command konui-seed writes a long session into a Konsole data folder, for
// the dashboard benchmarks.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/konui/konui/backend/testkit/konsoletest"
)

func main() {
	data := flag.String("data", "", "Konsole data folder")
	cwd := flag.String("cwd", os.TempDir(), "the session's folder")
	title := flag.String("title", "long session", "the session's title")
	n := flag.Int("messages", 10000, "messages to write")
	flag.Parse()
	if *data == "" {
		fmt.Fprintln(os.Stderr, "konui-seed: --data is required")
		os.Exit(2)
	}
	id, err := konsoletest.Seed(*data, *cwd, *title, *n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "konui-seed:", err)
		os.Exit(1)
	}
	fmt.Println(id)
}
