// Package claude runs one Claude Code CLI process and speaks its stream-json
// protocol over stdin and stdout.
//
// Start reading at Process (process.go): Start spawns the CLI in its own
// process group, Outputs delivers every parsed stdout line as an Output, and
// SendUser, Interrupt and AnswerPermission write the stdin side through one
// writer goroutine with a queue (inbox.go), so they never wait for the CLI
// to read and may be called under a lock the stdout side needs. ParseLine
// (parse.go) turns one stdout line into an Output and never panics on bad
// input: unknown types come back as Unknown, malformed lines as an error.
package claude
