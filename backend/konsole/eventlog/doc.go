// Package eventlog is Konsole's event log: every event gets an id, is
// written durably in batches and is then published to subscribers, who
// replay what they missed and follow live events over server-sent events.
//
// Start reading at Log (log.go): Append, the one writer goroutine, and the
// bounds on what is kept. Its backing is an EventStore, the SQLite
// *store.Store in Konsole (the benchmarks add an in-memory one); a batch
// lives in memory until the store has committed it. A Subscription
// (subscription.go) pages through the store for a replay and for what a
// slow reader missed, and Serve (sse.go) writes one subscription as an SSE
// stream with heartbeats and resets. The event types are in events.go;
// their wire form is written down in docs/protocol.md.
package eventlog
