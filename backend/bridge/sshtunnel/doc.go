// Package sshtunnel reaches a Konsole on another machine through the
// system's ssh, with no port opened there: one ssh process per tunnel
// forwards a free 127.0.0.1 port here to the remote Konsole's loopback
// address and runs `konui konsole --over-ssh` on the far side, which starts
// a Konsole there unless one runs and answers with its URL and token over
// the same connection (so the token is never in an argv or a log).
//
// Start reading at Tunnel.Endpoint: it (re)starts ssh when it is not
// running and matches bridge.KonsoleSpec.Resolve, so a dropped connection
// is made again by the bridge's own backoff. ParseURL reads the
// ssh://[user@]host[:port][?konui=PATH] form a person gives.
package sshtunnel
