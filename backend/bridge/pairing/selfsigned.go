package pairing

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/konui/konui/backend/shared/atomicfile"
	"github.com/konui/konui/backend/shared/httpguard"
)

// Names of the self-signed certificate and its key in a Konsole's data dir.
const (
	CertName = "tls-cert.pem"
	KeyName  = "tls-key.pem"
)

// certLifetime is long: a pinned client checks the fingerprint, not the
// dates, and a new certificate means pairing every client again.
const certLifetime = 20 * 365 * 24 * time.Hour

// SelfSigned returns the Konsole's self-signed certificate in dir, making
// it on the first call (ECDSA P-256, valid for hosts; the key 0600) and
// loading it on every later one, so that its fingerprint, and with it
// every pairing, stays. fingerprint is its SHA-256 (see Fingerprint).
func SelfSigned(dir string, hosts []string) (certFile, keyFile, fingerprint string, err error) {
	certFile, keyFile = filepath.Join(dir, CertName), filepath.Join(dir, KeyName)
	_, certErr := os.Stat(certFile)
	_, keyErr := os.Stat(keyFile)
	if errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist) {
		if err := makeSelfSigned(dir, certFile, keyFile, hosts); err != nil {
			return "", "", "", err
		}
	}
	fingerprint, err = loadFingerprint(certFile, keyFile)
	if err != nil {
		return "", "", "", err
	}
	return certFile, keyFile, fingerprint, nil
}

// loadFingerprint checks that the pair loads as a TLS certificate and
// returns the leaf's fingerprint.
func loadFingerprint(certFile, keyFile string) (string, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return "", fmt.Errorf("failed to load the self-signed certificate (%s, %s): %w; remove both files to make a new one (every client then pairs again)", certFile, keyFile, err)
	}
	return Fingerprint(c.Certificate[0]), nil
}

func makeSelfSigned(dir, certFile, keyFile string, hosts []string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("failed to create %s: %w", dir, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("failed to make the certificate's key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return fmt.Errorf("failed to make the certificate's serial number: %w", err)
	}
	name := "konui konsole"
	if h, err := os.Hostname(); err == nil {
		name += " on " + h
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: name, Organization: []string{"konui (self-signed)"}},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
	}
	for _, h := range hosts {
		h = strings.Trim(h, "[]")
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else if h != "" {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("failed to make the self-signed certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("failed to encode the certificate's key: %w", err)
	}
	// The key first: a certificate without its key would be a dead pair.
	if err := atomicfile.Write(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		return err
	}
	return atomicfile.Write(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644)
}

// CertHosts are the names a certificate for a Konsole listening on
// listenHost holds: that host, or for a wildcard ("", 0.0.0.0, ::) the
// machine's host name and the addresses of its interfaces; loopback always.
func CertHosts(listenHost string) []string {
	// The names a server answers to, less the link-local addresses, which
	// hold a zone a certificate cannot name.
	return slices.DeleteFunc(httpguard.AllowedHosts(listenHost), func(h string) bool {
		ip := net.ParseIP(h)
		return ip != nil && ip.IsLinkLocalUnicast()
	})
}
