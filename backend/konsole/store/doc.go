// Package store keeps Konsole's durable state in one SQLite file in WAL
// mode: the event log, sessions, transcripts and kontasks.
//
// Start reading at Open (store.go). Events (events.go) are written in
// batches by a single writer and read back by id for replay; the other
// tables are small and written directly.
package store
