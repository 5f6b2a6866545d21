// Package checkpoint keeps a snapshot of a session's folder before each
// prompt (and at each turn's end), so that a rewind can put every file
// back as it was, whatever changed it: the agent's Write and Edit, its
// Bash commands, or anything they ran.
//
// Start reading at Store (store.go): one shadow git folder per session in
// Konsole's data folder, with the session's folder passed as the work
// tree, so that nothing is written into the person's folder or
// repository and none of the repository's hooks, filters, attributes or
// config are used (git runs through worktree.RunOwn). Take snapshots
// (only what changed since the last snapshot is read); Stats says what
// changed from each prompt to now (diff.go); Rewind (rewind.go) plans and
// applies a return to a snapshot, telling which files someone else than
// the agent changed; restore.go writes the files back through an os.Root
// without ever following a link.
package checkpoint
