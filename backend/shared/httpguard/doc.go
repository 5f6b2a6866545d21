// Package httpguard is what every konui HTTP server (Konsole, the bridge,
// the agents' MCP endpoint) puts in front of its routes: the Host names it
// answers to (against DNS rebinding), a cap on open connections, idle and
// body-read deadlines that spare the long-lived streams.
//
// Start reading at NewServer and Hosts.
package httpguard
