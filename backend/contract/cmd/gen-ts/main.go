// Command gen-ts writes the dashboard's TypeScript of the wire contract
// (contract.TypeScript) to the file its argument names:
//
//	go run ./backend/contract/cmd/gen-ts frontend/src/lib/generated/contract.ts
//
// `make generate` and `go generate ./backend/contract` run it.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/konui/konui/backend/contract"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gen-ts FILE.ts")
		os.Exit(2)
	}
	out := os.Args[1]
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		fmt.Fprintf(os.Stderr, "gen-ts: failed to make the folder: %v\n", err)
		os.Exit(1)
	}
	if err := os.WriteFile(out, contract.TypeScript(), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "gen-ts: failed to write %s: %v\n", out, err)
		os.Exit(1)
	}
}
