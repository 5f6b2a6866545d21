package cli

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/konui/konui/backend/bridge/pairing"
	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/konsole/runfile"
	"github.com/konui/konui/backend/shared/auth"
)

// servesSelfSigned tells whether the flags make the Konsole serve its
// self-signed certificate (and so have a pairing string).
func servesSelfSigned(f konsoleFlags) bool {
	if f.tlsCert != "" || f.insecureRemote {
		return false
	}
	host, _, err := net.SplitHostPort(f.listen)
	return err == nil && !konsole.IsLoopback(host)
}

// selfSignedCert makes or loads the self-signed certificate of a Konsole
// that listens beyond loopback without one given (see servesSelfSigned),
// with the names of its listen host and --advertise, and returns its
// fingerprint.
func selfSignedCert(f konsoleFlags, dataDir string) (string, error) {
	host, _, _ := net.SplitHostPort(f.listen)
	hosts := pairing.CertHosts(host)
	if f.advertise != "" {
		hosts = append(hosts, f.advertise)
	}
	_, _, fp, err := pairing.SelfSigned(dataDir, hosts)
	return fp, err
}

// pairingURL is the address other machines use for a Konsole serving on
// served (its URL, with the port it got) for --listen listen: --advertise
// when given, else the listen host as written (a name stays a name: the
// address it resolves to here, 127.0.1.1 on Debian, may mean nothing
// elsewhere), else for a wildcard this machine's first network address.
func pairingURL(served, listen, advertise string) (string, error) {
	u, err := url.Parse(served)
	if err != nil {
		return "", fmt.Errorf("failed to read the Konsole's URL: %w", err)
	}
	_, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		return "", fmt.Errorf("failed to read the Konsole's URL: %w", err)
	}
	host, _, _ := net.SplitHostPort(listen)
	ip := net.ParseIP(host)
	switch {
	case advertise != "":
		host = strings.Trim(advertise, "[]")
	case host == "" || (ip != nil && ip.IsUnspecified()):
		host = networkAddress()
	}
	return "https://" + net.JoinHostPort(host, port), nil
}

// networkAddress is the address other machines most likely reach this one
// at: the first IPv4 address of an interface that is up and not loopback,
// else the first such global IPv6 address, else the host name.
func networkAddress() string {
	var v6 string
	ifaces, _ := net.Interfaces()
	for _, ifc := range ifaces {
		if ifc.Flags&net.FlagUp == 0 || ifc.Flags&net.FlagLoopback != 0 {
			continue
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			n, ok := a.(*net.IPNet)
			if !ok || n.IP.IsLoopback() || n.IP.IsLinkLocalUnicast() {
				continue
			}
			if n.IP.To4() != nil {
				return n.IP.String()
			}
			if v6 == "" {
				v6 = n.IP.String()
			}
		}
	}
	if v6 != "" {
		return v6
	}
	if h, err := os.Hostname(); err == nil {
		return h
	}
	return "localhost"
}

// printPairing prints how to pair with the Konsole. The string holds the
// token, so it is printed only where a token may be (withToken: the token
// was just made, or a person reads a terminal); otherwise the line says
// how to get it. The QR code is for a terminal only.
func printPairing(w io.Writer, p pairing.Pairing, withToken, terminal bool, dataFlag string) {
	if !withToken {
		fmt.Fprintf(w, "Serving a self-signed certificate (SHA-256 %s). To pair a konui with this Konsole, run \"%s\" on this machine: it prints the pairing string, which holds the token.\n",
			p.Fingerprint, pairingCommand(dataFlag))
		return
	}
	fmt.Fprintf(w, "Serving a self-signed certificate (SHA-256 %s).\nTo pair: paste this line into \"Add Konsole\" in konui (or save it in a file for konui --konsole-pairing-file); it holds the token, so keep it private:\n%s\n",
		p.Fingerprint, p)
	if terminal {
		if err := pairing.PrintQR(w, p.String()); err != nil {
			fmt.Fprintln(w, err)
		}
	}
}

func pairingCommand(dataFlag string) string {
	if dataFlag == "" {
		return "konui konsole --pairing"
	}
	return "konui konsole --pairing --data " + shellQuote(dataFlag)
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r == '=' || r == '@' || r == '+' || r == ',' ||
			(r >= '0' && r <= '9') || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// printStoredPairing is `konui konsole --pairing`: the pairing string of
// the Konsole running on dataDir, read from its run file and token file.
// A person asked for it, so the token is printed (the QR code too on a
// terminal).
func printStoredPairing(f konsoleFlags, dataDir string, stdout, stderr io.Writer) int {
	p, err := storedPairing(dataDir, f.data)
	if err != nil {
		fmt.Fprintln(stderr, "konui konsole:", err)
		return 1
	}
	fmt.Fprintln(stdout, p)
	if isTerminal(stdout) {
		if err := pairing.PrintQR(stdout, p.String()); err != nil {
			fmt.Fprintln(stderr, "konui konsole:", err)
			return 1
		}
	}
	return 0
}

// storedPairing reads the pairing of the Konsole running on dataDir;
// dataFlag is the --data given (""  for the default), kept in the command
// an error suggests.
func storedPairing(dataDir, dataFlag string) (pairing.Pairing, error) {
	info, ok, err := runfile.Read(dataDir)
	if err != nil {
		return pairing.Pairing{}, err
	}
	start := "konui konsole --listen 0.0.0.0:7421"
	if dataFlag != "" {
		start += " --data " + shellQuote(dataFlag)
	}
	if !ok {
		return pairing.Pairing{}, fmt.Errorf("no Konsole is running with the data folder %s: the pairing string names a running one; start it on a network address first (%s)", dataDir, start)
	}
	if info.PairingURL == "" {
		if strings.HasPrefix(info.URL, "http://") {
			return pairing.Pairing{}, fmt.Errorf("the Konsole running with %s (pid %d, %s) listens on loopback, so it has no pairing string: to pair from another machine, stop it and start it on a network address (%s), or reach it over SSH (ssh://user@host)", dataDir, info.PID, info.URL, start)
		}
		return pairing.Pairing{}, fmt.Errorf("the Konsole running with %s (pid %d, %s) serves a certificate of its own, so it has no pairing string: connect with its URL, its token file and the certificate's CA (--konsole-ca)", dataDir, info.PID, info.URL)
	}
	if info.TokenFile == "" {
		return pairing.Pairing{}, errors.New("the run file names no token file")
	}
	tok, err := auth.ReadTokenFile(info.TokenFile)
	if err != nil {
		return pairing.Pairing{}, err
	}
	return pairing.Pairing{URL: info.PairingURL, Token: tok, Fingerprint: info.Fingerprint}, nil
}

// certFingerprint is the fingerprint of the leaf of a certificate file
// pair (for the run file, so that --status pins any certificate).
func certFingerprint(certFile, keyFile string) (string, error) {
	c, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return "", fmt.Errorf("failed to load the TLS certificate: %w", err)
	}
	return pairing.Fingerprint(c.Certificate[0]), nil
}
