package konsole

import (
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/konui/konui/backend/konsole/sessions"
	"github.com/konui/konui/backend/shared/apierror"
	"github.com/konui/konui/backend/shared/httpjson"
)

// consoleRoutes are the routes of the console surface: a session's agent
// info, the models offered, the prompt queue, folder completion and the
// recent folders.
func (s *Server) consoleRoutes(route func(method, path string, h http.HandlerFunc)) {
	route("GET", "/v1/sessions/{id}/info", func(w http.ResponseWriter, r *http.Request) {
		info, err := s.mgr.Info(r.PathValue("id"))
		reply(w, http.StatusOK, info, err)
	})
	route("GET", "/v1/models", func(w http.ResponseWriter, r *http.Request) {
		c := s.mgr.Capabilities()
		out := map[string]any{"models": c.Models, "commands": c.Commands, "version": c.Version}
		if c.Models == nil {
			out["models"] = []any{}
		}
		if c.Commands == nil {
			out["commands"] = []any{}
		}
		httpjson.Write(w, http.StatusOK, out)
	})
	route("GET", "/v1/sessions/{id}/queue", func(w http.ResponseWriter, r *http.Request) {
		q, paused, err := s.mgr.Queue(r.PathValue("id"))
		reply(w, http.StatusOK, map[string]any{"queue": q, "paused": paused}, err)
	})
	route("DELETE", "/v1/sessions/{id}/queue", func(w http.ResponseWriter, r *http.Request) {
		if err := s.mgr.DeleteQueued(r.PathValue("id"), ""); err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	route("PATCH", "/v1/sessions/{id}/queue/{queueId}", func(w http.ResponseWriter, r *http.Request) {
		var p sessions.QueuePatch
		if !decode(w, r, &p) {
			return
		}
		item, err := s.mgr.EditQueued(r.PathValue("id"), r.PathValue("queueId"), p)
		reply(w, http.StatusOK, item, err)
	})
	route("DELETE", "/v1/sessions/{id}/queue/{queueId}", func(w http.ResponseWriter, r *http.Request) {
		if err := s.mgr.DeleteQueued(r.PathValue("id"), r.PathValue("queueId")); err != nil {
			writeError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	route("POST", "/v1/sessions/{id}/queue/{queueId}/send", func(w http.ResponseWriter, r *http.Request) {
		tid, err := s.mgr.SendQueued(r.PathValue("id"), r.PathValue("queueId"))
		reply(w, http.StatusAccepted, map[string]any{"turnId": tid}, err)
	})
	route("GET", "/v1/fs/dirs", s.listDirs)
	route("GET", "/v1/folders/recent", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]any{"folders": s.mgr.RecentFolders(10)})
	})
}

// maxDirs bounds one answer of GET /v1/fs/dirs.
const maxDirs = 50

// Dir is a folder offered while typing a path.
type Dir struct {
	Path string `json:"path"`
	Name string `json:"name"`
	Git  bool   `json:"git,omitempty"`
}

// listDirs completes a typed folder path: the folders (never files, never
// their contents) of the prefix's parent whose name starts with the rest
// of it. An empty prefix lists the home folder; "~" stands for it. Hidden
// folders show only when the typed name starts with a dot.
func (s *Server) listDirs(w http.ResponseWriter, r *http.Request) {
	home, _ := os.UserHomeDir()
	prefix := r.URL.Query().Get("prefix")
	switch {
	case prefix == "" || prefix == "~":
		prefix = home + string(filepath.Separator)
	case strings.HasPrefix(prefix, "~/"):
		prefix = home + prefix[1:]
	}
	if !filepath.IsAbs(prefix) {
		writeError(w, errorf(http.StatusBadRequest, apierror.CodeBadRequest, "prefix must be an absolute path or start with ~/, not %q", prefix))
		return
	}
	parent, partial := prefix, ""
	if !strings.HasSuffix(prefix, string(filepath.Separator)) {
		parent, partial = filepath.Dir(prefix), filepath.Base(prefix)
	}
	parent = filepath.Clean(parent)
	entries, err := os.ReadDir(parent)
	if err != nil {
		status, code := http.StatusNotFound, apierror.CodeNotFound
		if os.IsPermission(err) {
			status, code = http.StatusForbidden, "forbidden"
		}
		writeError(w, errorf(status, code, "cannot list %q: %s", parent, strings.TrimPrefix(err.Error(), "open "+parent+": ")))
		return
	}
	dirs := []Dir{}
	more := false
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(strings.ToLower(name), strings.ToLower(partial)) || (strings.HasPrefix(name, ".") && !strings.HasPrefix(partial, ".")) {
			continue
		}
		full := filepath.Join(parent, name)
		if fi, err := os.Stat(full); err != nil || !fi.IsDir() { // follows links to folders
			continue
		}
		if len(dirs) == maxDirs {
			more = true
			break
		}
		_, gitErr := os.Stat(filepath.Join(full, ".git"))
		dirs = append(dirs, Dir{Path: full, Name: name, Git: gitErr == nil})
	}
	sort.Slice(dirs, func(i, j int) bool { return strings.ToLower(dirs[i].Name) < strings.ToLower(dirs[j].Name) })
	httpjson.Write(w, http.StatusOK, map[string]any{"parent": parent, "home": home, "dirs": dirs, "more": more})
}
