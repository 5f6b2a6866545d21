package sessions

import "sort"

// RecentFolder is a folder sessions were started in, with the choices the
// newest of them was started with (remembered per folder).
type RecentFolder struct {
	Path           string `json:"path"`
	LastUsed       string `json:"lastUsed"`
	Sessions       int    `json:"sessions"`
	Model          string `json:"model,omitempty"`
	PermissionMode string `json:"permissionMode,omitempty"`
	Effort         string `json:"effort,omitempty"`
}

// RecentFolders returns the n folders most recently started in, newest first.
func (m *Manager) RecentFolders(n int) []RecentFolder {
	byPath := map[string]*RecentFolder{}
	for _, s := range m.List() {
		dir := s.Cwd
		if s.Worktree != nil {
			dir = s.Worktree.Repo // the folder chosen, not the worktree made for it
		}
		f := byPath[dir]
		at := s.CreatedAt.UTC().Format("2006-01-02T15:04:05.000Z07:00")
		if f == nil {
			f = &RecentFolder{Path: dir}
			byPath[dir] = f
		}
		f.Sessions++
		if at >= f.LastUsed {
			f.LastUsed, f.Model, f.PermissionMode, f.Effort = at, s.Model, s.PermissionMode, s.Effort
		}
	}
	out := make([]RecentFolder, 0, len(byPath))
	for _, f := range byPath {
		out = append(out, *f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LastUsed > out[j].LastUsed })
	if len(out) > n {
		out = out[:n]
	}
	return out
}
