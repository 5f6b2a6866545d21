// Package contract is Konsole's and the bridge's wire contract in one
// place: the events' names beside the Go type of each event's data
// (events.go), the shapes they carry (session.go, kontask.go, agent.go),
// and the bodies of the REST routes with the routes themselves (rest.go,
// routes.go). Start reading at events.go.
//
// Everything here is what goes over the wire, so a change here is a
// change of the protocol: add fields and types, rename or remove none
// (DESIGN.md). The dashboard's TypeScript for these types is generated
// from them (typescript.go; run `make generate` or
// `go generate ./backend/contract`) into
// frontend/src/lib/generated/contract.ts, and tests fail when that file is
// stale (TestTheGeneratedTypeScriptIsCurrent) or when docs/protocol.md
// and these types disagree (protocol_test.go).
//
// The package imports nothing but the standard library, so that every
// other package, Konsole's and the bridge's alike, may use it.
package contract

//go:generate go run ./cmd/gen-ts ../../frontend/src/lib/generated/contract.ts
