package sessions

import (
	"net/http"

	"github.com/konui/konui/backend/konsole/agent/claude"
	"github.com/konui/konui/backend/shared/apierror"
)

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
