package kontaskmcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/konui/konui/backend/konsole/kontask"
	"github.com/konui/konui/backend/konsole/store"
	"github.com/konui/konui/backend/shared/apierror"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// toolError is a result the agent reads and can act on; nothing changed.
func toolError(format string, args ...any) *mcp.CallToolResult {
	r := &mcp.CallToolResult{}
	r.SetError(fmt.Errorf(format, args...))
	return r
}

// toolText is a result in words. It carries no structured content: Claude
// Code shows the agent the structured content instead of the text when
// both are present.
func toolText(format string, args ...any) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: fmt.Sprintf(format, args...)}}}
}

// strictArgs decodes tool arguments, refusing unknown fields so that a
// misspelt field is reported instead of silently dropped.
func strictArgs(raw json.RawMessage, v any, fields string) error {
	if len(raw) == 0 {
		raw = json.RawMessage("{}")
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := strings.TrimPrefix(err.Error(), "json: ")
		return fmt.Errorf("the arguments do not fit the tool's input (%s); the fields are %s", msg, fields)
	}
	return nil
}

// createArgs are kontask_create's arguments: the agent-facing fields of
// kontask.Input (who created it, and in which session and turn, come from
// the credential).
type createArgs struct {
	Title       string           `json:"title"`
	Description string           `json:"description"`
	Output      string           `json:"output"`
	Choices     []kontask.Choice `json:"choices"`
	Type        string           `json:"type"`
	Scope       string           `json:"scope"`
	Tags        []string         `json:"tags"`
	Status      string           `json:"status"`
	TargetUser  string           `json:"targetUser"`
}

func (s *Service) toolCreate(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var a createArgs
	if err := strictArgs(req.Params.Arguments, &a, "title, description, output, choices, type, scope, tags, status, targetUser"); err != nil {
		return toolError("No kontask was created: %v.", err), nil
	}
	caller := s.callerOf(req)
	if limited := s.limitTool(caller, kontask.ToolCreate); limited != nil {
		return limited, nil
	}
	in := kontask.Input{Title: a.Title, Description: a.Description, Output: a.Output, Choices: a.Choices, Type: a.Type,
		Scope: a.Scope, Tags: a.Tags, Status: a.Status, TargetUser: a.TargetUser, CreatedBy: "mcp", SessionID: caller.sessionID}
	if caller.sessionID != "" {
		in.CreatedBy, in.RequestID = "claude", s.mgr.ActiveTurn(caller.sessionID)
	}
	k, err := s.Create(in)
	if err != nil {
		var e *apierror.Error
		if errors.As(err, &e) && e.Status < 500 {
			return toolError("No kontask was created: %s. Fix the input and call %s again.", e.Message, kontask.ToolCreate), nil
		}
		s.lg.Error("failed to create a kontask", "session", caller.sessionID, "err", err)
		return toolError("No kontask was created: Konsole could not store it (%v). Try again later.", err), nil
	}
	return toolText("Kontask %s delivered to the user: %q (%d choices). A choice the user picks comes back to you as their next prompt.",
		k.ID, k.Title, len(k.Context.Choices)), nil
}

type listArgs struct {
	Status string `json:"status"`
	Scope  string `json:"scope"`
	Tag    string `json:"tag"`
	Q      string `json:"q"`
	All    bool   `json:"all"`
	Limit  int    `json:"limit"`
}

// listed is a kontask in kontask_list's answer: no output, choice labels only.
type listed struct {
	ID        string   `json:"id"`
	Title     string   `json:"title"`
	Status    string   `json:"status"`
	Read      bool     `json:"read"`
	SessionID string   `json:"sessionId,omitempty"`
	CreatedAt string   `json:"createdAt"`
	Choices   []string `json:"choices"`
}

func (s *Service) toolList(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var a listArgs
	if err := strictArgs(req.Params.Arguments, &a, "status, scope, tag, q, all, limit"); err != nil {
		return toolError("%v.", err), nil
	}
	switch a.Status {
	case "", kontask.StatusPending, kontask.StatusCompleted, kontask.StatusDismissed:
	default:
		return toolError("status %q is not one of pending, completed, dismissed.", a.Status), nil
	}
	if a.Limit <= 0 || a.Limit > 50 {
		a.Limit = 20
	}
	q := store.KontaskQuery{Status: a.Status, Scope: a.Scope, Tag: a.Tag, Q: a.Q, Limit: a.Limit}
	caller := s.callerOf(req)
	if limited := s.limitTool(caller, kontask.ToolList); limited != nil {
		return limited, nil
	}
	if caller.sessionID != "" && !a.All {
		q.SessionID = caller.sessionID
	}
	list, page, err := s.List(q)
	if err != nil {
		return toolError("Konsole could not read the kontasks: %v.", err), nil
	}
	out := make([]listed, 0, len(list))
	for _, k := range list {
		l := listed{ID: k.ID, Title: k.Title, Status: k.Status, Read: k.ReadAt != nil, SessionID: k.SessionID,
			CreatedAt: k.CreatedAt.Format("2006-01-02T15:04:05Z07:00"), Choices: []string{}}
		for _, c := range k.Context.Choices {
			l.Choices = append(l.Choices, c.Label)
		}
		out = append(out, l)
	}
	b, _ := json.Marshal(map[string]any{"kontasks": out, "total": page.Total})
	return toolText("%s", b), nil
}

type updateArgs struct {
	ID     string `json:"id"`
	Status string `json:"status"`
}

func (s *Service) toolUpdate(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var a updateArgs
	if err := strictArgs(req.Params.Arguments, &a, "id, status"); err != nil {
		return toolError("Nothing was changed: %v.", err), nil
	}
	if a.ID == "" || a.Status == "" {
		return toolError("Nothing was changed: id and status are both required."), nil
	}
	caller := s.callerOf(req)
	if limited := s.limitTool(caller, kontask.ToolUpdate); limited != nil {
		return limited, nil
	}
	k, err := s.Update(a.ID, kontask.Patch{Status: &a.Status}, func(k kontask.Kontask) error {
		if caller.sessionID != "" && k.SessionID != caller.sessionID {
			return apierror.New(http.StatusForbidden, apierror.CodeBadRequest, "kontask %s belongs to another session; only the session that created a kontask can change it", k.ID)
		}
		return nil
	})
	if err != nil {
		return toolError("Nothing was changed: %s.", apierror.As(err).Message), nil
	}
	return toolText("Kontask %s is now %s.", k.ID, k.Status), nil
}
