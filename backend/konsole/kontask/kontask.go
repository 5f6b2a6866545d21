package kontask

import (
	"time"

	"github.com/konui/konui/backend/contract"
)

// The kontask's wire shapes are declared in backend/contract.
type (
	// Kontask is a card an agent delivered to its user.
	Kontask = contract.Kontask
	// Context holds its HTML output and its choices.
	Context = contract.KontaskContext
	// Choice is one button of a kontask.
	Choice = contract.Choice
	// Input is what a creator supplies (the MCP tool's arguments, the
	// REST body).
	Input = contract.KontaskInput
)

// Statuses of a kontask.
const (
	StatusPending   = "pending"
	StatusCompleted = "completed"
	StatusDismissed = "dismissed"
)

// DefaultType is the type of a kontask created without one.
const DefaultType = "general"

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

// Patch is a change to a kontask: its status, and whether it is read
// (contract.KontaskPatch, the body of PATCH /v1/kontasks/{id}).
type Patch contract.KontaskPatch

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
