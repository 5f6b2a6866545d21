// Package sessions runs Konsole's sessions: one Claude Code process per
// session, its turns, permission requests, queued prompts, plans and
// worktree, every change recorded in the event log (backend/konsole/eventlog) and
// the session itself in the store.
//
// Start reading at Manager (manager.go), which owns the sessions; a session
// (session.go for its wire shapes, run.go for its run loop, launch.go for
// its turns' and agent's start) starts its agent, reads the agent's output
// and turns it into events; its writer (writer.go) writes it to the store
// off its lock, so that no lock waits for the disk. Around it: the prompt
// queue (queue.go), plans and questions (plans.go), stopping and answering
// (stopping.go), model and mode changes (controls.go), rules and auto-deny,
// usage, forks, imports from the CLI's history and the worktree a session
// may work in. The HTTP API over all this is backend/konsole's; what the
// Manager needs from the rest of Konsole comes in through ManagerConfig
// (Prepare for the agent's MCP tools, Watch for its output).
package sessions
