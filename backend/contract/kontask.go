package contract

import "time"

// Kontask is a card an agent delivered to its user. Its JSON is the wire
// shape of the design (the seed's raw data): readAt is null until the user
// reads it, tags and choices are always arrays.
type Kontask struct {
	ID          string         `json:"id"`
	Type        string         `json:"type"`
	Status      string         `json:"status" ts:"'pending' | 'completed' | 'dismissed'"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Context     KontaskContext `json:"context"`
	CreatedBy   string         `json:"createdBy"`
	CreatedAt   time.Time      `json:"createdAt"`
	UpdatedAt   time.Time      `json:"updatedAt"`
	ReadAt      *time.Time     `json:"readAt"`
	// RequestID is the turn that was running when the agent created the
	// kontask; SessionID the Konsole session a choice is sent to.
	RequestID  string   `json:"requestId"`
	SessionID  string   `json:"sessionId"`
	Scope      string   `json:"scope"`
	Tags       []string `json:"tags"`
	TargetUser string   `json:"targetUser"`
}

// KontaskContext holds the body of a kontask: its HTML output, untrusted
// and shown in a sandboxed frame, and the choices offered to the user.
type KontaskContext struct {
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

// KontaskInput is what a creator supplies (POST /v1/kontasks, the MCP
// tool kontask_create). The MCP tool takes the first group of fields as
// its arguments; Konsole fills the second group from the caller's
// credential (the tool) or the request body (REST).
type KontaskInput struct {
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

// KontaskPatch is the body of PATCH /v1/kontasks/{id}: its status, and
// whether it is read.
type KontaskPatch struct {
	Status *string `json:"status"`
	Read   *bool   `json:"read"`
}
