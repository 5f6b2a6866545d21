package cli

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/konui/konui/backend/bridge/pairing"
	"github.com/konui/konui/backend/konsole/runfile"
)

// pairedGet asks the Konsole of p for its sessions through a client pinned
// to p's fingerprint.
func pairedGet(p pairing.Pairing) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.URL+"/v1/sessions", nil)
	req.Header.Set("Authorization", "Bearer "+p.Token)
	c := pairing.PinnedClient(p.Fingerprint)
	defer c.CloseIdleConnections()
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// The Konsole listens on the wildcard address (the case that needs a
// certificate) but every request of the test goes to 127.0.0.1, which
// --advertise puts in the pairing string.
func TestAKonsoleOnANetworkAddressPairsWithAPinnedCertificateAndRefusesAnother(t *testing.T) {
	home := t.TempDir()
	p1 := startKonsole(t, home, nil, "--listen", "0.0.0.0:0", "--advertise", "127.0.0.1")
	line, ok := p1.out.waitFor("konui://pair?", 10*time.Second)
	if !ok {
		t.Fatalf("a Konsole with a token made just now printed no pairing string:\n%s", p1.out.all())
	}
	if n := strings.Count(p1.out.all(), "konui://pair?"); n != 1 {
		t.Fatalf("%d pairing strings printed, want one:\n%s", n, p1.out.all())
	}
	if strings.Contains(p1.out.all(), "\x1b[") {
		t.Fatalf("a QR code went to a pipe:\n%s", p1.out.all())
	}
	paired, err := pairing.Parse(line)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(paired.URL)
	if u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Port() == "0" {
		t.Fatalf("pairing URL %q", paired.URL)
	}
	if code, err := pairedGet(paired); err != nil || code != 200 {
		t.Fatalf("the paired client: %d %v", code, err)
	}
	wrong := paired
	wrong.Token = "not-the-token"
	if code, err := pairedGet(wrong); err != nil || code != 401 {
		t.Fatalf("a wrong token: %d %v", code, err)
	}
	if fi, err := os.Stat(filepath.Join(p1.data, pairing.KeyName)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the certificate's key in the data folder: %v %v", fi, err)
	}
	info, _, _ := runfile.Read(p1.data)
	if info.PairingURL != paired.URL || info.Fingerprint != paired.Fingerprint {
		t.Fatalf("run file %+v", info)
	}
	listen := "0.0.0.0:" + u.Port()

	// --pairing prints the same string again, from the data folder.
	out, err := exec.Command(konuiBinary(t), "konsole", "--pairing", "--data", p1.data).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != paired.String() {
		t.Fatalf("konui konsole --pairing: %v\n%s\nwant %s", err, out, paired)
	}
	p1.stop(t)

	// A restart on the same port reuses the certificate; the token is not
	// new and stdout is no terminal, so it says how to get the string.
	p2 := startKonsole(t, home, nil, "--listen", listen, "--advertise", "127.0.0.1")
	if _, ok := p2.out.waitFor("konui konsole --pairing", 10*time.Second); !ok || strings.Contains(p2.out.all(), paired.Token) {
		t.Fatalf("the second start, to a pipe:\n%s", p2.out.all())
	}
	if code, err := pairedGet(paired); err != nil || code != 200 {
		t.Fatalf("the certificate was not reused: %d %v", code, err)
	}
	p2.stop(t)

	// A new certificate on the same address is refused with the sentence.
	os.Remove(filepath.Join(p1.data, pairing.CertName))
	os.Remove(filepath.Join(p1.data, pairing.KeyName))
	p3 := startKonsole(t, home, nil, "--listen", listen, "--advertise", "127.0.0.1")
	_, err = pairedGet(paired)
	var mm *pairing.MismatchError
	if !errors.As(err, &mm) || !strings.Contains(err.Error(), "is not the one paired") || !strings.Contains(err.Error(), "pair again") {
		t.Fatalf("a changed certificate: %v", err)
	}
	p3.stop(t)
}

func TestPairingWithoutARunningKonsoleSaysSo(t *testing.T) {
	data := t.TempDir()
	var out, errb bytes.Buffer
	if code := Main([]string{"konsole", "--pairing", "--data", data}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "no Konsole is running") ||
		!strings.Contains(errb.String(), "(konui konsole --listen 0.0.0.0:7421 --data "+shellQuote(data)+")") {
		t.Fatalf("code %d stderr %q", code, errb.String())
	}
}

func TestALoopbackKonsoleHasNoPairingString(t *testing.T) {
	home := t.TempDir()
	p := startKonsole(t, home, []string{"KONSOLE_TOKEN=loop-token"}, "--listen", "127.0.0.1:0")
	if strings.Contains(p.out.all(), "konui://pair") {
		t.Fatalf("a loopback Konsole printed a pairing string:\n%s", p.out.all())
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"konsole", "--pairing", "--data", p.data}, &out, &errb); code != 1 || !strings.Contains(errb.String(), "listens on loopback, so it has no pairing string") ||
		!strings.Contains(errb.String(), "ssh://user@host") || strings.Contains(errb.String(), "--konsole-ca") {
		t.Fatalf("code %d stderr %q", code, errb.String())
	}
}

func TestPrintPairingShowsTheQRCodeOnATerminalOnly(t *testing.T) {
	p := pairing.Pairing{URL: "https://192.0.2.1:7421", Token: "tok", Fingerprint: strings.Repeat("a", 64)}
	var b bytes.Buffer
	printPairing(&b, p, true, true, "")
	if !strings.Contains(b.String(), p.String()+"\n") || !strings.Contains(b.String(), "▀") {
		t.Fatalf("terminal:\n%s", b.String())
	}
	b.Reset()
	printPairing(&b, p, false, false, "/srv/k k")
	if strings.Contains(b.String(), "konui://") || strings.Contains(b.String(), "\x1b[") || !strings.Contains(b.String(), "konui konsole --pairing --data '/srv/k k'") {
		t.Fatalf("a log:\n%s", b.String())
	}
}

// The pairing string names the Konsole as --listen does: a host name stays
// a name (what it resolves to here may be a loopback address, as Debian's
// /etc/hosts maps the machine's own name to 127.0.1.1), the port is the
// one it got, and a wildcard becomes this machine's network address.
func TestThePairingURLKeepsTheListenHostsName(t *testing.T) {
	for _, c := range []struct{ served, listen, advertise, want string }{
		{"https://127.0.1.1:7421", "devbox:7421", "", "https://devbox:7421"},
		{"https://127.0.1.1:40123", "devbox:0", "", "https://devbox:40123"},
		{"https://192.168.1.9:7421", "192.168.1.9:7421", "", "https://192.168.1.9:7421"},
		{"https://127.0.1.1:7421", "devbox:7421", "box.example.com", "https://box.example.com:7421"},
		{"https://[fd00::1]:7421", "[fd00::1]:7421", "", "https://[fd00::1]:7421"},
		{"https://[::]:7421", "0.0.0.0:7421", "[fd00::2]", "https://[fd00::2]:7421"},
	} {
		if got, err := pairingURL(c.served, c.listen, c.advertise); err != nil || got != c.want {
			t.Errorf("pairingURL(%q, %q, %q) = %q, %v; want %q", c.served, c.listen, c.advertise, got, err, c.want)
		}
	}
	for _, listen := range []string{"0.0.0.0:7421", ":7421", "[::]:7421"} {
		got, err := pairingURL("https://[::]:7421", listen, "")
		if err != nil || got != "https://"+net.JoinHostPort(networkAddress(), "7421") {
			t.Errorf("a wildcard %q pairs as %q, %v", listen, got, err)
		}
	}
}
