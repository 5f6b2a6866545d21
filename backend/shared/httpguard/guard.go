package httpguard

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"log"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/netutil"

	"github.com/konui/konui/backend/shared/agentpeer"
	"github.com/konui/konui/backend/shared/httpjson"
	"github.com/konui/konui/backend/shared/textclip"
)

// Defaults of NewServer and Listen.
const (
	// MaxConns is the most connections a server keeps open at once; more
	// wait in the kernel's backlog until one closes.
	MaxConns = 512
	// IdleTimeout closes a keep-alive connection that sends nothing.
	IdleTimeout = 120 * time.Second
	// HeaderTimeout bounds reading a request's headers.
	HeaderTimeout = 10 * time.Second
	// BodyTimeout bounds reading a request's body (see BodyDeadline).
	BodyTimeout = 30 * time.Second
)

// NewServer returns an http.Server for h with the header and idle timeouts.
// It sets no ReadTimeout, which would end event streams and WebSockets:
// wrap h in BodyDeadline instead. Each connection gets a place for its
// agentpeer verdict, so that an agentpeer.Guard in h reads /proc once per
// connection.
func NewServer(h http.Handler, errorLog *log.Logger) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: HeaderTimeout, IdleTimeout: IdleTimeout, ErrorLog: errorLog,
		ConnContext: agentpeer.ConnContext}
}

// Limit caps the connections ln hands out at once at n (MaxConns when n <= 0).
func Limit(ln net.Listener, n int) net.Listener {
	if n <= 0 {
		n = MaxConns
	}
	return netutil.LimitListener(ln, n)
}

// BodyDeadline gives every request d (BodyTimeout when zero) to send its
// body, except those for which stream tells that the connection stays open
// (an event stream, a WebSocket): those read without a deadline.
func BodyDeadline(next http.Handler, d time.Duration, stream func(*http.Request) bool) http.Handler {
	if d <= 0 {
		d = BodyTimeout
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stream == nil || !stream(r) {
			// Servers that cannot set deadlines (httptest's recorder) go on without.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
		}
		next.ServeHTTP(w, r)
	})
}

// IsStream tells whether r asks for a long-lived answer: an event stream
// or a WebSocket upgrade.
func IsStream(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/event-stream") ||
		strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// AllowedHosts are the Host names a server listening on listenHost answers
// to: the loopback names, the listen host itself, every name and address a
// certificate in certs was issued for, and, when listenHost is a wildcard,
// this machine's host name and interface addresses.
func AllowedHosts(listenHost string, certs ...*tls.Certificate) []string {
	hosts := []string{"localhost", "127.0.0.1", "::1"}
	add := func(h string) {
		h = strings.ToLower(strings.Trim(h, "[]"))
		if h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	ip := net.ParseIP(strings.Trim(listenHost, "[]"))
	if listenHost == "" || (ip != nil && ip.IsUnspecified()) {
		if name, err := os.Hostname(); err == nil {
			add(name)
			add(strings.SplitN(name, ".", 2)[0])
		}
		if addrs, err := net.InterfaceAddrs(); err == nil {
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok {
					add(n.IP.String())
				}
			}
		}
	} else {
		add(listenHost)
	}
	for _, c := range certs {
		if c == nil || len(c.Certificate) == 0 {
			continue
		}
		leaf, err := x509.ParseCertificate(c.Certificate[0])
		if err != nil {
			continue
		}
		for _, n := range leaf.DNSNames {
			add(n)
		}
		for _, a := range leaf.IPAddresses {
			add(a.String())
		}
	}
	return hosts
}

// Hosts answers 421 with a JSON error to a request whose Host is not one of
// allowed (nor a loopback address or a name under .localhost): a page on a
// DNS-rebound name reaches the server only with its own name as Host.
func Hosts(allowed []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !hostAllowed(r.Host, allowed) {
			httpjson.Error(w, http.StatusMisdirectedRequest, "bad_host",
				"this server does not answer to the host name "+quoteHost(r.Host)+"; use its address (e.g. 127.0.0.1) or a name it was configured with")
			return
		}
		next.ServeHTTP(w, r)
	})
}

func hostAllowed(hostport string, allowed []string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(strings.Trim(host, "[]"), "."))
	if host == "" {
		return false
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return true
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	return slices.Contains(allowed, host)
}

func quoteHost(h string) string {
	b, _ := json.Marshal(textclip.Head(h, 100))
	return string(b)
}
