package konsole

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"

	"github.com/konui/konui/backend/konsole/agent/claude"
	"github.com/konui/konui/backend/shared/apierror"
	"github.com/konui/konui/backend/shared/httpguard"
)

// prepareAgent is the sessions' Prepare hook: the kontasks' MCP tools
// (kontaskmcp.Service.PrepareAgent), with the URL that mcpURL gives.
func (s *Server) prepareAgent(sessionID string, opts *claude.Options) {
	s.kontasks.PrepareAgent(sessionID, opts)
}

// startAgentMCP serves /mcp alone, in plain http on a loopback port, for
// the agents of a Konsole that serves TLS: its certificate names the host
// remote clients use, which the agent (Node.js) would not accept for
// 127.0.0.1, and a private CA is not in Node's trust store either.
func (s *Server) startAgentMCP() error {
	ln, _, err := httpguard.Listen("127.0.0.1:0", s.cfg.MaxConns, nil)
	if err != nil {
		return fmt.Errorf("failed to serve the agents' MCP endpoint: %w", err)
	}
	api := s.Handler()
	onlyMCP := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/mcp" {
			writeError(w, errorf(http.StatusNotFound, apierror.CodeNotFound, "only /mcp is served here; the API is at %s", s.URL()))
			return
		}
		api.ServeHTTP(w, r)
	})
	srv := httpguard.NewServer(onlyMCP, slog.NewLogLogger(s.lg.Handler(), slog.LevelDebug))
	s.urlMu.Lock()
	s.agentLn, s.agentHTTP = ln, srv
	s.urlMu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.lg.Error("konsole stopped serving the agents' MCP endpoint", "err", err)
		}
	}()
	return nil
}

// mcpURL is where the agents reach /mcp: Konsole's own address, with a
// wildcard host replaced by loopback (the agents run on this machine), or
// the loopback endpoint of startAgentMCP when Konsole serves TLS.
func (s *Server) mcpURL() string {
	s.urlMu.Lock()
	defer s.urlMu.Unlock()
	if s.agentLn != nil {
		return "http://" + s.agentLn.Addr().String() + "/mcp"
	}
	if s.ln == nil {
		return ""
	}
	host, port, err := net.SplitHostPort(s.ln.Addr().String())
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port) + "/mcp"
}
