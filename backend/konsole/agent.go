package konsole

import (
	"encoding/json"
	"errors"
	"fmt"
	"github.com/konui/konui/backend/contract"
	"github.com/konui/konui/backend/shared/apierror"
	"github.com/konui/konui/backend/shared/atomicfile"
	"github.com/konui/konui/backend/shared/httpjson"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/konui/konui/backend/konsole/agent/claude"
)

// agentFile keeps the CLI path set through PUT /v1/agent, in the data folder.
const agentFile = "agent.json"

// locateAgent finds the CLI for this Konsole: the configured one (Config.Claude,
// else the path stored by PUT /v1/agent), else a search where installs put it.
func (s *Server) locateAgent(path string) claude.Install {
	if s.cfg.SkipAgentCheck {
		return claude.Install{Path: s.cfg.Claude, Source: "configured", MinVersion: claude.MinVersion}
	}
	return claude.Locate(claude.LocateOptions{Configured: path, Env: s.cfg.Env, Repository: s.cfg.Repository})
}

// storedAgentPath is the CLI path kept by PUT /v1/agent, or "".
func (s *Server) storedAgentPath() string {
	b, err := os.ReadFile(filepath.Join(s.cfg.DataDir, agentFile))
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.lg.Warn("failed to read the stored Claude Code path", "err", err)
		}
		return ""
	}
	var v struct {
		Claude string `json:"claude"`
	}
	if json.Unmarshal(b, &v) != nil {
		s.lg.Warn("ignoring an unreadable " + agentFile)
		return ""
	}
	return v.Claude
}

func (s *Server) storeAgentPath(path string) error {
	p := filepath.Join(s.cfg.DataDir, agentFile)
	if path == "" {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("failed to forget the Claude Code path: %w", err)
		}
		return nil
	}
	b, _ := json.Marshal(map[string]string{"claude": path})
	if err := atomicfile.Write(p, b, 0o600); err != nil {
		return fmt.Errorf("failed to save the Claude Code path: %w", err)
	}
	return nil
}

// Agent returns the Claude Code CLI sessions run, or why there is none.
func (s *Server) Agent() claude.Install { return s.mgr.Agent() }

// UseAgent checks the CLI at path and, when it is usable, makes every
// session start it from now on (sessions already running keep theirs). An
// empty path looks again: the CLI of Config.Claude (a flag), else the
// search; Config.SavedClaude and a stored path no longer count. With
// persist, the choice is kept in the data folder for the next start. A
// refused path changes nothing and comes back with Error set.
func (s *Server) UseAgent(path string, persist bool) (claude.Install, error) {
	path = strings.TrimSpace(path)
	if path != "" && !filepath.IsAbs(path) && strings.ContainsRune(path, os.PathSeparator) {
		return claude.Install{}, errorf(http.StatusBadRequest, apierror.CodeBadRequest, "the Claude Code path must be absolute, not %q", path)
	}
	configured := path
	if configured == "" {
		configured = s.cfg.Claude
	}
	in := s.locateAgent(configured)
	if path != "" && !in.OK() {
		return in, nil
	}
	if persist {
		if err := s.storeAgentPath(path); err != nil {
			return in, err
		}
	}
	s.mgr.SetAgent(in)
	if _, err := s.log.Append(contract.EvAgentUpdated, "", "", contract.AgentUpdated{Agent: in}); err != nil {
		s.lg.Error("failed to record an event", "type", contract.EvAgentUpdated, "err", err)
	}
	s.lg.Info("Claude Code CLI", "path", in.Path, "version", in.Version, "problem", in.Code)
	return in, nil
}

// agentHealth is what /healthz tells anyone about the CLI: whether sessions
// can run and which version, never the path (which names the user's home).
func agentHealth(in claude.Install) map[string]any {
	h := map[string]any{"ok": in.OK(), "minVersion": in.MinVersion}
	if in.Version != "" {
		h["version"] = in.Version
	}
	if in.Code != "" {
		h["code"] = in.Code
	}
	return h
}

func (s *Server) agentRoutes(route func(method, path string, h http.HandlerFunc)) {
	route("GET", "/v1/agent", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, s.Agent())
	})
	route("PUT", "/v1/agent", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Path *string `json:"path"`
		}
		if !decode(w, r, &req) {
			return
		}
		if req.Path == nil {
			writeError(w, errorf(http.StatusBadRequest, apierror.CodeBadRequest, "send {\"path\": \"/abs/path/to/claude\"}, or {\"path\": \"\"} to look for it again"))
			return
		}
		in, err := s.UseAgent(*req.Path, true)
		if err != nil {
			writeError(w, err)
			return
		}
		if *req.Path != "" && !in.OK() {
			httpjson.Write(w, http.StatusUnprocessableEntity, map[string]any{"error": in.Error, "code": in.Code, "agent": in})
			return
		}
		httpjson.Write(w, http.StatusOK, in)
	})
}
