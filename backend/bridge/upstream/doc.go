// Package upstream follows one Konsole's event stream (GET /v1/events over
// SSE) for the bridge: it reconnects with backoff (quickly after a stream
// that worked, for a restarting Konsole), resumes with Last-Event-ID,
// drops what a replay repeats, and reconnects when a watchdog hears
// nothing, not even a heartbeat.
//
// Start reading at Follower (upstream.go); backoff.go says when to try
// again.
package upstream
