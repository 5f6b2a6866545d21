// Package bridge is Konui: it follows Konsoles' event streams over SSE and
// serves the dashboard's WebSocket, the REST API proxied under /api/ and,
// optionally, the dashboard itself.
//
// Start reading at Bridge (bridge.go), which assembles the parts. Each job
// of the bridge is a package of its own or a bounded set of files here,
// with its tests beside it:
//
//   - upstream/: following one Konsole's event stream (reconnect,
//     resume, watchdog).
//   - hub/: the WebSocket side (frames, replay, clients, heartbeats and
//     stale drops).
//   - notify/: telling the desktop of each new kontask exactly once, with
//     its state file.
//   - konsole.go, route.go, requests.go, answer.go: the REST proxy to the
//     Konsole that has a session or kontask, and the client frames
//     forwarded to it (tests: bridge_test.go, kontask_test.go, images_test.go).
//   - fleet.go, fleet_api.go, token.go: the Konsoles followed and
//     /api/konsoles (tests: fleet_*_test.go).
//   - merge/ and merged.go: the lists that cover every Konsole (merge/
//     makes one list of the Konsoles' answers; merged.go asks them; tests:
//     merge/, fleet_test.go).
//   - fleet/, pairing/, sshtunnel/: how a person's request becomes a
//     Konsole to follow.
package bridge
