// Package runfile is how one process of a user finds the `konui konsole`
// that another runs: a running Konsole writes <its data dir>/run.json
// (mode 0600, atomically) when it starts and removes it on a clean exit.
// `konui konsole --status` and `konui konsole --over-ssh` read it. Start
// with Info and Read.
package runfile
