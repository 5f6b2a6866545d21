package kontask

import (
	"time"
)

// Kontask is a card an agent delivered to its user. Its JSON is the wire
// shape of the design (the seed's raw data): readAt is null until the user
// reads it, tags and choices are always arrays.
type Kontask struct {
	ID          string     `json:"id"`
	Type        string     `json:"type"`
	Status      string     `json:"status"`
	Title       string     `json:"title"`
	Description string     `json:"description"`
	Context     Context    `json:"context"`
	CreatedBy   string     `json:"createdBy"`
	CreatedAt   time.Time  `json:"createdAt"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	ReadAt      *time.Time `json:"readAt"`
	// RequestID is the turn that was running when the agent created the
	// kontask; SessionID the Konsole session a choice is sent to.
	RequestID  string   `json:"requestId"`
	SessionID  string   `json:"sessionId"`
	Scope      string   `json:"scope"`
	Tags       []string `json:"tags"`
	TargetUser string   `json:"targetUser"`
}

// Context holds the body of a kontask: its HTML output, untrusted and shown
// in a sandboxed frame, and the choices offered to the user.
type Context struct {
	Output  string   `json:"output"`
	Choices []Choice `json:"choices"`
}

// Choice is one button of a kontask: Label is shown, Value becomes the
// user's next prompt to the kontask's session.
type Choice struct {
	Label   string `json:"label"`
	Value   string `json:"value"`
	Primary bool   `json:"primary,omitempty"`
}

// Statuses of a kontask.
const (
	StatusPending   = "pending"
	StatusCompleted = "completed"
	StatusDismissed = "dismissed"
)

// DefaultType is the type of a kontask created without one.
const DefaultType = "general"

// Input is what a creator supplies. The MCP tool takes the first group of
// fields as its arguments; Konsole fills the second group from the caller's
// credential (the tool) or the request body (REST).
type Input struct {
	Title       string   `json:"title"`
	Description string   `json:"description,omitempty"`
	Output      string   `json:"output,omitempty"`
	Choices     []Choice `json:"choices,omitempty"`
	Type        string   `json:"type,omitempty"`
	Scope       string   `json:"scope,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	Status      string   `json:"status,omitempty"`
	TargetUser  string   `json:"targetUser,omitempty"`

	CreatedBy string `json:"createdBy,omitempty"`
	SessionID string `json:"sessionId,omitempty"`
	RequestID string `json:"requestId,omitempty"`
}

// New validates in and returns the kontask it describes, created now.
// A *ValidationError lists every problem at once.
func New(in Input, id string, now time.Time) (Kontask, error) {
	clean, err := Validate(in)
	if err != nil {
		return Kontask{}, err
	}
	now = now.UTC()
	choices := clean.Choices
	if choices == nil {
		choices = []Choice{}
	}
	tags := clean.Tags
	if tags == nil {
		tags = []string{}
	}
	return Kontask{
		ID: id, Type: clean.Type, Status: clean.Status, Title: clean.Title, Description: clean.Description,
		Context:   Context{Output: clean.Output, Choices: choices},
		CreatedBy: clean.CreatedBy, CreatedAt: now, UpdatedAt: now,
		RequestID: clean.RequestID, SessionID: clean.SessionID, Scope: clean.Scope, Tags: tags,
		TargetUser: clean.TargetUser,
	}, nil
}

// Patch is a change to a kontask: its status, and whether it is read.
type Patch struct {
	Status *string `json:"status"`
	Read   *bool   `json:"read"`
}

// Apply validates p and applies it to k at now. It reports whether
// anything changed; a patch that changes nothing leaves UpdatedAt alone.
func (p Patch) Apply(k *Kontask, now time.Time) (changed bool, err error) {
	if p.Status == nil && p.Read == nil {
		return false, &ValidationError{Problems: []string{`nothing to change: send "status" (pending, completed or dismissed) and/or "read" (true or false)`}}
	}
	if p.Status != nil && !knownStatus(*p.Status) {
		return false, &ValidationError{Problems: []string{statusProblem(*p.Status)}}
	}
	now = now.UTC()
	if p.Status != nil && *p.Status != k.Status {
		k.Status, changed = *p.Status, true
	}
	if p.Read != nil {
		switch {
		case *p.Read && k.ReadAt == nil:
			k.ReadAt, changed = &now, true
		case !*p.Read && k.ReadAt != nil:
			k.ReadAt, changed = nil, true
		}
	}
	if changed {
		k.UpdatedAt = now
	}
	return changed, nil
}

func knownStatus(s string) bool {
	return s == StatusPending || s == StatusCompleted || s == StatusDismissed
}
