package contract

// Rewind (issue 28): a session's checkpoints, one per prompt, and its
// rewind to one of them.

// CheckpointList is the answer of GET /v1/sessions/{id}/checkpoints,
// oldest first.
type CheckpointList struct {
	Checkpoints []Checkpoint `json:"checkpoints"`
}

// Checkpoint is one prompt of a session that can be rewound to, with what
// changed in the session's folder from just before it to now.
type Checkpoint struct {
	MessageID int64           `json:"messageId"`
	TurnID    string          `json:"turnId"`
	Prompt    string          `json:"prompt"`
	At        string          `json:"at"`
	Files     CheckpointFiles `json:"files"`
}

// CheckpointFiles sums the files that differ between a checkpoint and now.
type CheckpointFiles struct {
	Changed    int `json:"changed"`
	Insertions int `json:"insertions"`
	Deletions  int `json:"deletions"`
}

// RewindRequest is the body of POST /v1/sessions/{id}/rewind. MessageID is
// a prompt's id in GET /v1/sessions/{id}/messages; Files puts the folder
// back as it was just before it, Conversation makes the next prompt
// continue from just before it; DryRun changes nothing; Overwrite names
// files changed outside the agent to put back too.
type RewindRequest struct {
	MessageID    *int64   `json:"messageId"`
	Files        bool     `json:"files"`
	Conversation bool     `json:"conversation"`
	DryRun       bool     `json:"dryRun,omitempty"`
	Overwrite    []string `json:"overwrite,omitempty"`
}

// RewindResult is the answer of a rewind, and the data of session.rewound.
// Skipped files are over the checkpoint size bound and Nested folders hold
// a repository of their own: both are left as they are.
type RewindResult struct {
	Applied      bool                `json:"applied"`
	Files        []RewoundFile       `json:"files"`
	Conversation RewoundConversation `json:"conversation"`
	Skipped      []SkippedFile       `json:"skipped"`
	Nested       []string            `json:"nested,omitempty"`
	MessageID    int64               `json:"messageId"`
	TurnID       string              `json:"turnId"`
}

// RewoundFile is one file a rewind puts back (or would). Status is its
// change since the prompt: modified, added (a rewind removes it) or
// deleted (a rewind brings it back). ChangedOutside: someone else than the
// agent changed it after the prompt. Restored: the rewind put it back.
type RewoundFile struct {
	Path           string `json:"path"`
	Status         string `json:"status" ts:"'modified' | 'added' | 'deleted'"`
	Insertions     int    `json:"insertions"`
	Deletions      int    `json:"deletions"`
	ChangedOutside bool   `json:"changedOutside"`
	Restored       bool   `json:"restored"`
}

// RewoundConversation says how many turns of the conversation the next
// prompt no longer sees.
type RewoundConversation struct {
	DroppedTurns int `json:"droppedTurns"`
}

// SkippedFile is a file left out of a checkpoint for its size.
type SkippedFile struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
}

// SessionRewound is the data of session.rewound: the applied rewind's
// answer.
type SessionRewound RewindResult

// EventType names session.rewound.
func (SessionRewound) EventType() string { return EvSessionRewound }
