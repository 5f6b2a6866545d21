package konsole_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/konsole"
	"github.com/konui/konui/backend/konsole/kontaskmcp"
	kt "github.com/konui/konui/backend/testkit/konsoletest"
	"github.com/konui/konui/backend/testkit/mcptest"
)

func mcpClient(t *testing.T, h *kt.Harness, token string) (*mcp.ClientSession, error) {
	t.Helper()
	return mcptest.Dial(h.URL+"/mcp", token)
}

func callTool(t *testing.T, cs *mcp.ClientSession, name string, args any) (string, bool) {
	t.Helper()
	return mcptest.Call(t, cs, name, args)
}

// agentMCPToken reads the session token from the agent's environment, where
// Konsole put it, and checks that it is not on the agent's command line.
func agentMCPToken(t *testing.T, h *kt.Harness, sid string) string {
	t.Helper()
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	pid := int(s["agentPid"].(float64))
	env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
	if err != nil {
		t.Fatal(err)
	}
	var token string
	for _, kv := range bytes.Split(env, []byte{0}) {
		if v, ok := strings.CutPrefix(string(kv), kontaskmcp.MCPTokenEnv+"="); ok {
			token = v
		}
	}
	if token == "" {
		t.Fatalf("no %s in the agent's environment", kontaskmcp.MCPTokenEnv)
	}
	if bytes.Contains(env, []byte("KONSOLE_TOKEN=")) || bytes.Contains(env, []byte(h.Token)) {
		t.Fatal("Konsole's own token is in the agent's environment")
	}
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if bytes.Contains(cmdline, []byte(token)) || bytes.Contains(cmdline, []byte(h.Token)) {
		t.Fatal("a token is on the agent's command line")
	}
	if !bytes.Contains(cmdline, []byte("mcp__konsole__kontask_create")) || !bytes.Contains(cmdline, []byte("${"+kontaskmcp.MCPTokenEnv+"}")) {
		t.Fatalf("the agent's command line lacks the MCP config: %q", cmdline)
	}
	return token
}

func TestTheSessionMCPTokenNamesItsSessionAndOpensOnlyMCP(t *testing.T) {
	h := kt.Start(t, kt.Options{Configure: func(c *konsole.Config) {
		c.Env = append(c.Env, "KONSOLE_TOKEN="+c.Token) // as when konui konsole takes it from $KONSOLE_TOKEN
	}})
	sid, other := h.CreateSession(), h.CreateSession()
	token := agentMCPToken(t, h, sid)
	if token == agentMCPToken(t, h, other) {
		t.Fatal("two sessions share an MCP token")
	}
	if status, _ := h.DoRaw("GET", "/v1/sessions", nil, token); status != 401 {
		t.Fatalf("the MCP token opened /v1/sessions: %d", status)
	}
	forged := token[:strings.LastIndexByte(token, '.')] + ".AAAA"
	for _, bad := range []string{forged, strings.Replace(token, sid, other, 1), "kmcp1." + sid, ""} {
		if _, err := mcpClient(t, h, bad); err == nil {
			t.Fatalf("/mcp accepted %q", bad)
		}
	}

	cs, err := mcpClient(t, h, token)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	tools, err := cs.ListTools(context.Background(), nil)
	if err != nil || len(tools.Tools) != 3 {
		t.Fatalf("tools: %v %v", err, tools)
	}
	if d := tools.Tools[0].Description + tools.Tools[1].Description + tools.Tools[2].Description; !strings.Contains(d, "next prompt") {
		t.Fatalf("the descriptions do not say what a kontask is for: %s", d)
	}
	text, isErr := callTool(t, cs, "kontask_create", map[string]any{"title": "Via MCP", "output": strings.Repeat("x", 1<<20+1)})
	if !isErr || !strings.Contains(text, "output is 1048577 bytes; the limit is 1048576") {
		t.Fatalf("oversized output: %v %q", isErr, text)
	}
	text, isErr = callTool(t, cs, "kontask_create", map[string]any{"title": "Via MCP", "output": strings.Repeat("x", 1<<20),
		"choices": []any{map[string]any{"label": "Yes", "value": "yes please"}}})
	if isErr {
		t.Fatalf("create: %s", text)
	}
	_, list := h.Do("GET", "/v1/kontasks", nil)
	k := list["kontasks"].([]any)[0].(map[string]any)
	if k["sessionId"] != sid || k["requestId"] != "" || k["createdBy"] != "claude" {
		t.Fatalf("kontask outside a turn = sessionId %v requestId %v createdBy %v", k["sessionId"], k["requestId"], k["createdBy"])
	}
	if text, _ := callTool(t, cs, "kontask_list", map[string]any{}); !strings.Contains(text, `"title":"Via MCP"`) || strings.Contains(text, "xxxx") {
		t.Fatalf("list: %.300s", text)
	}
	if text, isErr := callTool(t, cs, "kontask_update", map[string]any{"id": k["id"], "status": "dismissed"}); isErr || !strings.Contains(text, "dismissed") {
		t.Fatalf("update: %s", text)
	}

	// Another session may neither see it by default nor change it.
	cs2, err := mcpClient(t, h, agentMCPToken(t, h, other))
	if err != nil {
		t.Fatal(err)
	}
	defer cs2.Close()
	if text, _ := callTool(t, cs2, "kontask_list", map[string]any{}); strings.Contains(text, "Via MCP") {
		t.Fatalf("another session listed it: %s", text)
	}
	if text, _ := callTool(t, cs2, "kontask_list", map[string]any{"all": true}); !strings.Contains(text, "Via MCP") {
		t.Fatalf("all:true did not list it: %s", text)
	}
	if text, isErr := callTool(t, cs2, "kontask_update", map[string]any{"id": k["id"], "status": "pending"}); !isErr || !strings.Contains(text, "belongs to another session") {
		t.Fatalf("another session changed it: %v %s", isErr, text)
	}

	// Konsole's own token works too, outside any session.
	op, err := mcpClient(t, h, h.Token)
	if err != nil {
		t.Fatal(err)
	}
	defer op.Close()
	if text, isErr := callTool(t, op, "kontask_create", map[string]any{"title": "From the operator"}); isErr {
		t.Fatal(text)
	}
	_, list = h.Do("GET", "/v1/kontasks?q=operator", nil)
	if k := list["kontasks"].([]any)[0].(map[string]any); k["sessionId"] != "" || k["createdBy"] != "mcp" {
		t.Fatalf("operator kontask = %v", k)
	}
}

// selfSigned writes a certificate for "konsole.test" only: the agent could
// not use it for 127.0.0.1 even if it trusted it.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "konsole.test"},
		DNSNames: []string{"konsole.test"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

func TestUnderTLSTheAgentReachesMCPOnAPlainLoopbackEndpointThatServesNothingElse(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, ServerName: "konsole.test"}}}
	h := kt.Start(t, kt.Options{Client: client, Configure: func(c *konsole.Config) { c.TLSCert, c.TLSKey = certFile, keyFile }})
	if !strings.HasPrefix(h.URL, "https://") {
		t.Fatalf("url %s", h.URL)
	}
	sid := h.CreateSession()
	st := h.Events(-1)
	turn := h.Prompt(sid, `[[kontask: {"title":"Over TLS"}]]`)
	evs := st.Until(t, 90*time.Second, kt.TurnCompleted(turn))
	e := find(evs, contract.EvKontaskCreated)
	if e == nil {
		t.Fatalf("no kontask; the agent said %q", deltas(evs, turn))
	}
	if k := e.DataMap()["kontask"].(map[string]any); k["sessionId"] != sid || k["requestId"] != turn {
		t.Fatalf("kontask = %v", k)
	}
	_, s := h.Do("GET", "/v1/sessions/"+sid, nil)
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", int(s["agentPid"].(float64))))
	m := regexp.MustCompile(`"url":"(http://127\.0\.0\.1:\d+)/mcp"`).FindSubmatch(cmdline)
	if m == nil {
		t.Fatalf("no plain loopback MCP URL in %q", cmdline)
	}
	req, _ := http.NewRequest("GET", string(m[1])+"/v1/sessions", nil)
	req.Header.Set("Authorization", "Bearer "+h.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("the agents' endpoint served /v1/sessions: %d", resp.StatusCode)
	}
}

// The MCP SDK's own HTTP errors (plain text) reach the client as Konsole's
// JSON error with the same status; JSON-RPC answers pass untouched.
func TestMCPTransportErrorsAreKonsolesJSONErrors(t *testing.T) {
	h := kt.Start(t, kt.Options{})
	post := func(body []byte, accept, contentType string) (int, string, string) {
		req, _ := http.NewRequest("POST", h.URL+"/mcp", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+h.Token)
		if accept != "" {
			req.Header.Set("Accept", accept)
		}
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	ping := []byte(`{"jsonrpc":"2.0","id":1,"method":"ping"}`)
	both := "application/json, text/event-stream"
	for _, c := range []struct {
		name                string
		body                []byte
		accept, ctype, code string
		status              int
	}{
		{"no Accept header", ping, "", "application/json", "bad_request", 400},
		{"a body over 8 MiB", append(append([]byte(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"`), bytes.Repeat([]byte("x"), 9<<20)...), `"}}`...), both, "application/json", "too_large", 413},
		{"a body that is not JSON", []byte("not json"), both, "application/json", "bad_request", 400},
	} {
		status, ctype, body := post(c.body, c.accept, c.ctype)
		var e struct{ Error, Code string }
		if status != c.status || !strings.HasPrefix(ctype, "application/json") || json.Unmarshal([]byte(body), &e) != nil || e.Code != c.code || !strings.HasPrefix(e.Error, "MCP: ") {
			t.Errorf("%s: %d %s %.200s", c.name, status, ctype, body)
		}
	}
	status, ctype, body := post(ping, both, "application/json")
	if status != 200 || !strings.HasPrefix(ctype, "application/json") || !strings.Contains(body, `"jsonrpc":"2.0"`) || !strings.Contains(body, `"result"`) {
		t.Fatalf("ping: %d %s %s", status, ctype, body)
	}
}
