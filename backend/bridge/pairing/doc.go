// Package pairing connects to a remote Konsole in one step: a Konsole on a
// non-loopback address makes a self-signed certificate (SelfSigned) and
// prints one pairing string (Pairing.String, PrintQR) holding its URL, its
// token and the SHA-256 fingerprint of that certificate. The other side
// parses it (Parse) and talks to the Konsole through PinnedClient, which
// accepts exactly that certificate: no CA file, no skipped checks, and a
// changed certificate is refused with a *MismatchError.
//
// Start with Pairing and PinnedClient.
package pairing
