package contract

// Route is one route of Konsole's HTTP API: its method and path pattern
// (as http.ServeMux reads them), the Go type of its JSON body, if it takes
// one, and of its JSON answer, where the contract declares it.
// protocol_test.go checks this list against the routes Konsole registers
// and against docs/protocol.md.
type Route struct {
	Method, Path string
	Body, Answer any
}

// Pattern is the route as http.ServeMux takes it: "GET /v1/sessions".
func (r Route) Pattern() string { return r.Method + " " + r.Path }

// KonsoleRoutes are the routes of Konsole's API (the bridge proxies them
// under /api/ with the same bodies).
func KonsoleRoutes() []Route {
	return []Route{
		{"GET", "/healthz", nil, Health{}},
		{"GET", "/v1/agent", nil, Agent{}},
		{"PUT", "/v1/agent", SetAgent{}, Agent{}},
		{"POST", "/v1/sessions", CreateSession{}, Session{}},
		{"GET", "/v1/sessions", nil, SessionList{}},
		{"GET", "/v1/sessions/{id}", nil, Session{}},
		{"PATCH", "/v1/sessions/{id}", SessionPatch{}, Session{}},
		{"DELETE", "/v1/sessions/{id}", nil, nil},
		{"GET", "/v1/sessions/{id}/messages", nil, MessagePage{}},
		{"GET", "/v1/sessions/{id}/export", nil, nil},
		{"GET", "/v1/sessions/{id}/permissions", nil, PermissionList{}},
		{"POST", "/v1/sessions/{id}/prompt", PromptRequest{}, PromptAccepted{}},
		{"POST", "/v1/sessions/{id}/stop", nil, Stopped{}},
		{"POST", "/v1/sessions/{id}/permissions/{requestId}", PermissionAnswer{}, PermissionAnswered{}},
		{"GET", "/v1/sessions/{id}/info", nil, AgentInfo{}},
		{"GET", "/v1/models", nil, Models{}},
		{"GET", "/v1/sessions/{id}/queue", nil, Queue{}},
		{"DELETE", "/v1/sessions/{id}/queue", nil, nil},
		{"PATCH", "/v1/sessions/{id}/queue/{queueId}", QueuePatch{}, QueuedPrompt{}},
		{"DELETE", "/v1/sessions/{id}/queue/{queueId}", nil, nil},
		{"POST", "/v1/sessions/{id}/queue/{queueId}/send", nil, TurnStartedAnswer{}},
		{"GET", "/v1/sessions/{id}/changes", nil, nil},
		{"GET", "/v1/sessions/{id}/changes/diff", nil, nil},
		{"POST", "/v1/sessions/{id}/worktree/commit", nil, nil},
		{"POST", "/v1/sessions/{id}/worktree/merge", nil, nil},
		{"GET", "/v1/sessions/{id}/worktree/pr", nil, nil},
		{"POST", "/v1/sessions/{id}/worktree/pr", nil, nil},
		{"POST", "/v1/sessions/{id}/worktree/discard", nil, nil},
		{"GET", "/v1/fs/dirs", nil, nil},
		{"GET", "/v1/folders/recent", nil, nil},
		{"GET", "/v1/usage", nil, nil},
		{"GET", "/v1/search", nil, nil},
		{"GET", "/v1/sessions/{id}/rules", nil, RuleList{}},
		{"DELETE", "/v1/sessions/{id}/rules/{tool}", nil, nil},
		{"GET", "/v1/settings/auto-deny", nil, AutoDenySetting{}},
		{"PUT", "/v1/settings/auto-deny", AutoDenySetting{}, AutoDenySetting{}},
		{"GET", "/v1/history", nil, nil},
		{"GET", "/v1/history/{agentSessionId}", nil, nil},
		{"POST", "/v1/sessions/{id}/fork", ForkRequest{}, Session{}},
		{"GET", "/v1/sessions/{id}/checkpoints", nil, CheckpointList{}},
		{"POST", "/v1/sessions/{id}/rewind", RewindRequest{}, RewindResult{}},
		{"GET", "/v1/events", nil, nil},
		{"POST", "/v1/kontasks", KontaskInput{}, Kontask{}},
		{"GET", "/v1/kontasks", nil, KontaskList{}},
		{"GET", "/v1/kontasks/{id}", nil, Kontask{}},
		{"PATCH", "/v1/kontasks/{id}", KontaskPatch{}, Kontask{}},
		{"POST", "/mcp", nil, nil},
	}
}
