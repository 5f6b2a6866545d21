package httpguard

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
)

// LoadCert loads a TLS certificate and its key for a server. Both names
// empty mean plain http: it returns nil and no error. One without the
// other is an error.
func LoadCert(certFile, keyFile string) (*tls.Certificate, error) {
	if certFile == "" && keyFile == "" {
		return nil, nil
	}
	if certFile == "" || keyFile == "" {
		return nil, errors.New("--tls-cert and --tls-key go together")
	}
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("failed to load the TLS certificate: %w", err)
	}
	return &c, nil
}

// Listen is the one listener of every konui server: TCP on addr, at most
// maxConns connections open at once (MaxConns when <= 0), and TLS 1.2 or
// newer with cert when cert is not nil. scheme is "https" or "http", for
// the server's URL.
func Listen(addr string, maxConns int, cert *tls.Certificate) (ln net.Listener, scheme string, err error) {
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		return nil, "", fmt.Errorf("failed to listen on %s: %w", addr, err)
	}
	ln = Limit(ln, maxConns)
	if cert == nil {
		return ln, "http", nil
	}
	return tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{*cert}, MinVersion: tls.VersionTLS12}), "https", nil
}
