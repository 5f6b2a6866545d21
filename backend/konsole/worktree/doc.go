// Package worktree gives a session its own git worktree and branch, lists
// and diffs what the session changed, and finishes the work: commit, merge
// into the base, a pull request with the GitHub CLI, discard.
//
// Start reading at Add (worktree.go), then List and Diff (changes.go), then
// Commit, Merge and Discard (finish.go), then PRAvailable and OpenPR (pr.go). Every git call goes through run
// (git.go): the real git binary with an argument list, never a shell; paths
// come after "--" and names that start with "-" are refused before they
// reach git. Failures are *Error values with a stable Code and a sentence
// the user can act on.
package worktree
