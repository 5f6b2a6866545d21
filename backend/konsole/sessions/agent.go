package sessions

import (
	"net/http"

	"github.com/konui/konui/backend/konsole/agent/claude"
	"github.com/konui/konui/backend/shared/apierror"
)

// SessionAgent is the CLI a session runs, or why it has none: either Path
// and Version, or Error and Code.
type SessionAgent struct {
	Path    string `json:"path,omitempty"`
	Version string `json:"version,omitempty"`
	Error   string `json:"error,omitempty"`
	Code    string `json:"code,omitempty"`
}

func sessionAgent(in claude.Install) *SessionAgent {
	if in.OK() {
		return &SessionAgent{Path: in.Path, Version: in.Version}
	}
	return &SessionAgent{Error: in.Error, Code: in.Code}
}

// agentError is what a start without a usable CLI answers.
func agentError(in claude.Install) error {
	return &apierror.Error{Status: http.StatusBadGateway, Code: in.Code, Message: in.Error}
}
