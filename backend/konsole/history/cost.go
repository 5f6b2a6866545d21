package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
)

// costMark is in every cost-state entry; lines without it are not read.
var costMark = []byte(`cost-state`)

// costChunk is how much of a file Cost reads at a time, from its end.
const costChunk = 256 << 10

// Cost returns what the CLI counts conversation id to have cost so far:
// the totalCostUSD of the newest cost-state entry of that id in its file,
// which a CLI process appends when it exits. A CLI that resumes the
// conversation (--resume, with or without --fork-session) starts its
// total_cost_usd from that figure, so it is the baseline of the process's
// per-turn costs. ok is false when the conversation or such an entry is
// not there: the CLI then counts from 0.
func Cost(home, id string) (cost float64, ok bool, err error) {
	path, err := Find(home, id)
	if errors.Is(err, ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	f, err := os.Open(path)
	if err != nil {
		return 0, false, fmt.Errorf("failed to open a conversation file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, false, fmt.Errorf("failed to stat a conversation file: %w", err)
	}
	// From the end back: the newest entry is near it.
	var carry []byte // the start of a line cut at the previous chunk's start
	for end := fi.Size(); end > 0 && fi.Size()-end < MaxFileBytes; {
		start := max(0, end-costChunk)
		buf := make([]byte, end-start, end-start+int64(len(carry)))
		if _, err := f.ReadAt(buf, start); err != nil && !errors.Is(err, io.EOF) {
			return 0, false, fmt.Errorf("failed to read a conversation file: %w", err)
		}
		buf = append(buf, carry...)
		lines := bytes.Split(buf, []byte("\n"))
		first := 0
		if start > 0 {
			carry, first = lines[0], 1
			if len(carry) > lineLimit {
				carry = nil // a line this long is no cost-state entry
			}
		}
		for i := len(lines) - 1; i >= first; i-- {
			if c, ok := costOf(lines[i], id); ok {
				return c, true, nil
			}
		}
		end = start
	}
	return 0, false, nil
}

// costOf reads a cost-state entry of conversation id.
func costOf(line []byte, id string) (float64, bool) {
	if !bytes.Contains(line, costMark) {
		return 0, false
	}
	var e struct {
		Type         string   `json:"type"`
		SessionID    string   `json:"sessionId"`
		TotalCostUSD *float64 `json:"totalCostUSD"`
	}
	if json.Unmarshal(line, &e) != nil || e.Type != "cost-state" || e.SessionID != id || e.TotalCostUSD == nil {
		return 0, false
	}
	return *e.TotalCostUSD, true
}
