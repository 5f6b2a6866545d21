package fleet

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/konui/konui/backend/bridge"
	"github.com/konui/konui/backend/bridge/pairing"
	"github.com/konui/konui/backend/shared/httpjson"
	"github.com/konui/konui/backend/shared/textclip"
)

// Codes of the errors Add gives, beside bridge.CodeBadRequest and
// bridge.CodeKonsoleUnreachable (docs/protocol.md, POST /api/konsoles).
const (
	CodePairingInvalid      = "pairing_invalid"
	CodeUnauthorized        = "konsole_unauthorized"
	CodeCertificateMismatch = "certificate_mismatch"
	CodeSSHFailed           = "ssh_failed"
)

// Target is a Konsole to connect to: the body of POST /api/konsoles, or a
// --konsole value (see ParseTarget) with the token and CA of its flags.
type Target struct {
	bridge.AddKonsole
	// CA is the PEM text of a private CA for an https URL (--konsole-ca).
	CA string
	// From says where a --konsole came from when that is not its address
	// (the pairing file's path), for messages.
	From string
}

// ParseTarget reads a --konsole value: a pairing string (konui://pair?...),
// an ssh:// URL, or an http(s) URL (whose token the caller sets).
func ParseTarget(s string) (Target, error) {
	s = strings.TrimSpace(s)
	switch {
	case strings.HasPrefix(s, pairing.Scheme+"://"):
		if _, err := pairing.Parse(s); err != nil {
			return Target{}, err
		}
		return Target{AddKonsole: bridge.AddKonsole{Pairing: s}}, nil
	case strings.HasPrefix(s, "ssh://"):
		if _, err := sshName(s); err != nil {
			return Target{}, err
		}
		return Target{AddKonsole: bridge.AddKonsole{SSH: s}}, nil
	case strings.HasPrefix(s, "https://"), strings.HasPrefix(s, "http://"):
		if _, err := konsoleURL(s); err != nil {
			return Target{}, err
		}
		return Target{AddKonsole: bridge.AddKonsole{URL: s}}, nil
	default:
		return Target{}, fmt.Errorf("%.200q is not a Konsole address: give an https:// URL (with its token file) or ssh://user@host (a pairing string goes in a file for --konsole-pairing-file, or into Add Konsole)", s)
	}
}

// Add connects to the Konsole of req, tests it (its token, its
// certificate), and stores it enabled. Its errors are *bridge.APIError
// with the status and code of POST /api/konsoles.
func (fl *Fleet) Add(ctx context.Context, req bridge.AddKonsole) (bridge.KonsoleSpec, error) {
	r, spec, err := fl.connect(ctx, Target{AddKonsole: req})
	if err != nil {
		return bridge.KonsoleSpec{}, err
	}
	err = fl.change(func(f *file) error {
		if err := fl.followed(f, r, false); err != nil {
			return err
		}
		r.ID = fl.freeID(f, r.Name)
		f.Konsoles = append(f.Konsoles, r)
		return nil
	}, nil)
	if err != nil {
		if spec.Close != nil {
			spec.Close()
		}
		return bridge.KonsoleSpec{}, err
	}
	spec.ID = r.ID
	return spec, nil
}

// Connect is Add for this run only (a --konsole flag): tested the same
// way, never stored. Its id is free among the stored ones.
func (fl *Fleet) Connect(ctx context.Context, t Target) (bridge.KonsoleSpec, error) {
	r, spec, err := fl.connect(ctx, t)
	if err != nil {
		return bridge.KonsoleSpec{}, err
	}
	fl.saveMu.Lock()
	defer fl.saveMu.Unlock()
	fl.mu.Lock()
	f := file{Konsoles: slices.Clone(fl.f.Konsoles)}
	fl.mu.Unlock()
	if err := fl.followed(&f, r, true); err != nil {
		if spec.Close != nil {
			spec.Close()
		}
		return bridge.KonsoleSpec{}, err
	}
	r.ID = fl.freeID(&f, r.Name)
	spec.ID = r.ID
	fl.mu.Lock()
	fl.session[r.ID] = r
	fl.mu.Unlock()
	return spec, nil
}

// followed refuses r (409 conflict) when a stored Konsole (f's) or one of
// this run reaches the same Konsole: followed twice, each of its sessions
// would be listed twice. flag: r comes from a --konsole flag. The caller
// holds saveMu.
func (fl *Fleet) followed(f *file, r Remote, flag bool) error {
	if i := sameKonsole(f.Konsoles, r); i >= 0 {
		o := f.Konsoles[i]
		if flag {
			return apiError(http.StatusConflict, "conflict", fmt.Sprintf("that Konsole is in the stored list as %q (id %s), which konui follows without the flag: drop the flag, or remove it from the list", o.Name, o.ID))
		}
		return apiError(http.StatusConflict, "conflict", fmt.Sprintf("that Konsole is already in the list as %q (id %s): remove it first to add it again (to pair it anew, say)", o.Name, o.ID))
	}
	fl.mu.Lock()
	defer fl.mu.Unlock()
	for id, o := range fl.session {
		if reachesSame(o, r) {
			return apiError(http.StatusConflict, "conflict", fmt.Sprintf("that Konsole is already followed as %q (id %s), given to this run of konui with --konsole", o.Name, id))
		}
	}
	return nil
}

// connect makes the Remote and spec of t and tests them.
func (fl *Fleet) connect(ctx context.Context, t Target) (Remote, bridge.KonsoleSpec, error) {
	ctx, cancel := context.WithTimeout(ctx, fl.o.Timeout)
	defer cancel()
	var r Remote
	switch {
	case strings.TrimSpace(t.Pairing) != "":
		p, err := pairing.Parse(t.Pairing)
		if err != nil {
			return Remote{}, bridge.KonsoleSpec{}, apiError(http.StatusBadRequest, CodePairingInvalid, err.Error())
		}
		r = Remote{URL: strings.TrimRight(p.URL, "/"), Token: p.Token, Fingerprint: p.Fingerprint}
	case strings.TrimSpace(t.SSH) != "":
		return fl.connectSSH(ctx, t)
	case strings.TrimSpace(t.URL) != "":
		u, err := konsoleURL(t.URL)
		if err != nil {
			return Remote{}, bridge.KonsoleSpec{}, apiError(http.StatusBadRequest, bridge.CodeBadRequest, err.Error())
		}
		if strings.TrimSpace(t.Token) == "" {
			return Remote{}, bridge.KonsoleSpec{}, apiError(http.StatusBadRequest, bridge.CodeBadRequest, "the Konsole's token is required with its URL (konui konsole says where it keeps it)")
		}
		r = Remote{URL: u, Token: strings.TrimSpace(t.Token), CA: t.CA}
	default:
		return Remote{}, bridge.KonsoleSpec{}, apiError(http.StatusBadRequest, bridge.CodeBadRequest, `give exactly one of "pairing", "url" (with "token") or "ssh"`)
	}
	r.Name, r.Enabled = nameOr(t.Name, hostOf(r.URL)), true
	spec := fl.spec(r)
	if err := check(ctx, spec.HTTPClient, r.URL, r.Token); err != nil {
		return Remote{}, bridge.KonsoleSpec{}, err
	}
	return r, spec, nil
}

func (fl *Fleet) connectSSH(ctx context.Context, t Target) (Remote, bridge.KonsoleSpec, error) {
	name, err := sshName(t.SSH)
	if err != nil {
		return Remote{}, bridge.KonsoleSpec{}, apiError(http.StatusBadRequest, bridge.CodeBadRequest, err.Error())
	}
	r := Remote{Name: nameOr(t.Name, name), SSH: strings.TrimSpace(t.SSH), Enabled: true}
	resolve, closeFn, err := fl.tunnel(r.SSH)
	if err != nil {
		return Remote{}, bridge.KonsoleSpec{}, apiError(http.StatusBadRequest, bridge.CodeBadRequest, err.Error())
	}
	u, token, err := resolve(ctx)
	if err != nil {
		closeFn()
		return Remote{}, bridge.KonsoleSpec{}, apiError(http.StatusBadGateway, CodeSSHFailed, err.Error())
	}
	if err := check(ctx, &http.Client{}, u, token); err != nil {
		closeFn()
		return Remote{}, bridge.KonsoleSpec{}, err
	}
	return r, bridge.KonsoleSpec{Name: r.Name, Kind: KindSSH, Resolve: resolve, Close: closeFn}, nil
}

func (fl *Fleet) tunnel(sshURL string) (func(context.Context) (string, string, error), func(), error) {
	if fl.o.Tunnel == nil {
		return nil, nil, errors.New("this konui cannot reach Konsoles over SSH (it was started without SSH tunnels)")
	}
	resolve, closeFn, err := fl.o.Tunnel(sshURL)
	if err != nil {
		return nil, nil, err
	}
	if closeFn == nil {
		closeFn = func() {}
	}
	return resolve, closeFn, nil
}

// check asks the Konsole at base for /healthz (is it a Konsole?) and then
// for GET /v1/agent with the token (is the token right?).
func check(ctx context.Context, c *http.Client, base, token string) error {
	var health struct {
		Status string `json:"status"`
	}
	status, body, err := get(ctx, c, base+"/healthz", "", &health)
	if err != nil {
		return connectError(base, err)
	}
	if status != http.StatusOK || health.Status != "ok" {
		return refused(base, "/healthz", status, body)
	}
	status, body, err = get(ctx, c, base+"/v1/agent", token, nil)
	if err != nil {
		return connectError(base, err)
	}
	switch status {
	case http.StatusOK:
		return nil
	case http.StatusUnauthorized, http.StatusForbidden:
		return apiError(http.StatusUnauthorized, CodeUnauthorized, "the Konsole at "+base+" refused the token: give the token that Konsole uses (its --token-file, or the pairing string it prints now)")
	default:
		return refused(base, "/v1/agent", status, body)
	}
}

// refused says why what answers at base gave status (and body) to path:
// a Konsole's own error sentence ({"error","code"}: a Host name it does
// not answer to, say), plain http sent to its https port, or something
// that is no Konsole.
func refused(base, path string, status int, body []byte) error {
	var e httpjson.ErrorBody
	switch {
	case json.Unmarshal(body, &e) == nil && e.Error != "" && e.Code != "":
		return apiError(http.StatusBadGateway, bridge.CodeKonsoleUnreachable, fmt.Sprintf("the Konsole at %s refused %s (status %d, %s): %s", base, path, status, e.Code, textclip.Head(e.Error, 300)))
	case status == http.StatusBadRequest && strings.HasPrefix(base, "http://") && bytes.Contains(body, []byte("HTTPS server")):
		return apiError(http.StatusBadGateway, bridge.CodeKonsoleUnreachable, fmt.Sprintf("%s answers over https, not http: write https://%s, or paste the pairing string that `konui konsole` prints there", base, strings.TrimPrefix(base, "http://")))
	default:
		return apiError(http.StatusBadGateway, bridge.CodeKonsoleUnreachable, fmt.Sprintf("%s answered %s with status %d: it does not look like a Konsole (check the address and port)", base, path, status))
	}
}

// get asks u, decoding a 200 answer into into; the body of any other
// answer (its first 4 KiB) is returned for refused.
func get(ctx context.Context, c *http.Client, u, token string, into any) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body := io.LimitReader(resp.Body, 1<<20)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(body, 4<<10))
		_, _ = io.Copy(io.Discard, body) // drained for the connection's reuse; a failure only closes it
		return resp.StatusCode, b, nil
	}
	if into != nil {
		if err := json.NewDecoder(body).Decode(into); err != nil {
			return resp.StatusCode, nil, errNotKonsole
		}
	}
	_, _ = io.Copy(io.Discard, body) // drained for the connection's reuse; a failure only closes it
	return resp.StatusCode, nil, nil
}

// errNotKonsole: what answered is not a Konsole (its /healthz is not JSON).
var errNotKonsole = errors.New("its /healthz answered with something other than JSON")

// connectError turns a failed request into the code a person can act on.
func connectError(base string, err error) error {
	var mm *pairing.MismatchError
	var unknown x509.UnknownAuthorityError
	var hostname x509.HostnameError
	switch {
	case errors.As(err, &mm):
		return apiError(http.StatusConflict, CodeCertificateMismatch, mm.Error())
	case errors.As(err, &unknown):
		return apiError(http.StatusBadGateway, bridge.CodeKonsoleUnreachable, "the certificate of "+base+" is signed by an authority this machine does not trust: pair with the pairing string that `konui konsole` prints there, or give the CA (--konsole-ca)")
	case errors.As(err, &hostname):
		return apiError(http.StatusBadGateway, bridge.CodeKonsoleUnreachable, "the certificate of "+base+" is not for that name: "+hostname.Error())
	case errors.Is(err, errNotKonsole):
		return apiError(http.StatusBadGateway, bridge.CodeKonsoleUnreachable, "what answers at "+base+" is not a Konsole ("+err.Error()+"): check the address and port")
	case errors.Is(err, context.DeadlineExceeded):
		return apiError(http.StatusBadGateway, bridge.CodeKonsoleUnreachable, "the Konsole at "+base+" did not answer in time")
	default:
		return apiError(http.StatusBadGateway, bridge.CodeKonsoleUnreachable, "failed to reach the Konsole at "+base+": "+rootCause(err))
	}
}

// rootCause is the innermost sentence of a request error, without the
// "Get URL:" prefix that repeats the address.
func rootCause(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

func apiError(status int, code, msg string) *bridge.APIError {
	return &bridge.APIError{Status: status, Code: code, Message: msg}
}

// clientFor is the client of a URL Konsole: the default one, or one that
// trusts the private CA in caPEM.
func clientFor(u, caPEM string) (*http.Client, error) {
	if caPEM == "" {
		return &http.Client{}, nil
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(caPEM)) {
		return nil, fmt.Errorf("the CA given for %s holds no PEM certificate", u)
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return &http.Client{Transport: t}, nil
}

// ReadCA reads a --konsole-ca file for Target.CA.
func ReadCA(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("failed to read the Konsole CA: %w", err)
	}
	if !x509.NewCertPool().AppendCertsFromPEM(b) {
		return "", fmt.Errorf("the Konsole CA file %s holds no PEM certificate", path)
	}
	return string(b), nil
}

// konsoleURL checks an http(s) base URL and drops a trailing slash.
func konsoleURL(s string) (string, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "/")
	u, err := url.Parse(s)
	why := ""
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		switch {
		case u.Host == "":
			why = " (it names no host)"
		case u.User != nil:
			why = " (without user:password@: the Konsole's token is given on its own)"
		case u.RawQuery != "" || u.Fragment != "":
			why = " (without a ?query or #fragment)"
		default:
			return s, nil
		}
	}
	return "", fmt.Errorf("the Konsole URL %.200q must look like https://host:7421%s", s, why)
}

// sshName is user@host of an ssh:// URL (with :port when it is not
// 22), its default name.
func sshName(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || u.Scheme != "ssh" || u.Hostname() == "" || (u.Path != "" && u.Path != "/") {
		return "", fmt.Errorf("%.200q is not an SSH address: it looks like ssh://user@host or ssh://user@host:2222", s)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", fmt.Errorf("the SSH port %q is not a port number", p)
		}
	}
	host := u.Hostname()
	if p := u.Port(); p != "" && p != "22" {
		host = net.JoinHostPort(host, p)
	}
	if u.User != nil {
		return u.User.Username() + "@" + host, nil
	}
	return host, nil
}

// hostOf is a URL's default name: its host, with the port when that is
// not Konsole's own (7421), so that two Konsoles of one machine have two
// names and ids that stay the same from run to run.
func hostOf(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	if port := p.Port(); port != "" && port != defaultPort {
		return net.JoinHostPort(p.Hostname(), port)
	}
	return p.Hostname()
}

// defaultPort is the port `konui konsole` listens on by default.
const defaultPort = "7421"

func nameOr(name, def string) string {
	if n := strings.TrimSpace(name); n != "" {
		return textclip.Fit(n, 100) // a name has 1 to 100 characters
	}
	return def
}

var notID = regexp.MustCompile(`[^a-z0-9]+`)

// freeID makes an id from name that no stored Konsole, no Konsole of this
// run and not the local one has. The caller holds saveMu.
func (fl *Fleet) freeID(f *file, name string) string {
	base := strings.Trim(notID.ReplaceAllString(strings.ToLower(name), "-"), "-")
	if len(base) > 32 {
		base = strings.Trim(base[:32], "-")
	}
	if base == "" {
		base = "konsole"
	}
	used := func(id string) bool {
		if id == bridge.LocalID || index(f.Konsoles, id) >= 0 {
			return true
		}
		fl.mu.Lock()
		defer fl.mu.Unlock()
		_, ok := fl.session[id]
		return ok
	}
	id := base
	for n := 2; used(id); n++ {
		id = base + "-" + strconv.Itoa(n)
	}
	return id
}

// sameKonsole is the index of the stored Remote that reaches the Konsole r
// does (the same URL, or the same ssh address), or -1.
func sameKonsole(rs []Remote, r Remote) int {
	return slices.IndexFunc(rs, func(o Remote) bool { return reachesSame(o, r) })
}

// reachesSame tells whether a and b reach one Konsole: URLs to the same
// host and port (see listenerOf), or the same ssh address.
func reachesSame(a, b Remote) bool {
	return (b.SSH != "" && a.SSH == b.SSH) || (b.URL != "" && a.URL != "" && listenerOf(a.URL) == listenerOf(b.URL))
}

// listenerOf is the host and port a Konsole URL reaches, written one way:
// the host in lower case, an address in its canonical form, every
// loopback name and address (localhost, 127.0.0.0/8, ::1) as one, the
// port as given or the scheme's. The scheme does not count: one port
// serves either http or https. Names are not resolved (that would ask
// DNS while the list is locked), so a host's name and its address still
// read as two.
func listenerOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if ip := net.ParseIP(host); ip != nil {
		host = ip.String()
		if ip.IsLoopback() {
			host = "loopback"
		}
	} else if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		host = "loopback"
	}
	return net.JoinHostPort(host, port)
}
