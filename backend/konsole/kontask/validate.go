package kontask

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/konui/konui/backend/shared/textclip"
)

// Limits of a kontask. Lengths are in characters (runes) except Output,
// which is in bytes of UTF-8.
const (
	MaxTitle       = 200
	MaxDescription = 4000
	MaxOutputBytes = 1 << 20
	MaxChoices     = 10
	MaxLabel       = 100
	MaxValue       = 8000
	MaxTags        = 20
	MaxTag         = 40
	MaxScope       = 100
	MaxType        = 40
	MaxName        = 100 // createdBy, targetUser
	MaxRequestID   = 200
)

// ValidationError lists what is wrong with a kontask, each problem a phrase
// naming the field, so that an agent can fix them all in one retry.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	return "invalid kontask: " + strings.Join(e.Problems, "; ")
}

type problems []string

func (p *problems) addf(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// Validate checks in against the rules and returns it normalised: text
// fields trimmed (output is kept as is), type "general" and status "pending"
// when empty, duplicate tags dropped. It returns a *ValidationError when
// anything is wrong.
func Validate(in Input) (Input, error) {
	var p problems
	out := in
	out.Title = strings.TrimSpace(in.Title)
	switch n := utf8.RuneCountInString(out.Title); {
	case out.Title == "":
		p.addf("title is required")
	case n > MaxTitle:
		p.addf("title is %d characters long; the limit is %d", n, MaxTitle)
	}
	p.line("title", out.Title)

	out.Description = strings.TrimSpace(in.Description)
	p.text("description", out.Description, MaxDescription)

	if !utf8.ValidString(in.Output) {
		p.addf("output is not valid UTF-8")
	} else if len(in.Output) > MaxOutputBytes {
		p.addf("output is %d bytes; the limit is %d (1 MiB): shorten it or summarise", len(in.Output), MaxOutputBytes)
	} else if strings.IndexByte(in.Output, 0) >= 0 {
		p.addf("output contains a NUL character")
	}

	out.Choices = p.choices(in.Choices)

	out.Type = strings.TrimSpace(in.Type)
	if out.Type == "" {
		out.Type = DefaultType
	} else if !isIdent(out.Type) || len(out.Type) > MaxType {
		p.addf("type %q must be 1 to %d lowercase letters, digits, '-' or '_', starting with a letter (for example %q)", clip(out.Type), MaxType, DefaultType)
	}

	out.Status = strings.TrimSpace(in.Status)
	if out.Status == "" {
		out.Status = StatusPending
	} else if !knownStatus(out.Status) {
		p.addf("%s", statusProblem(out.Status))
	}

	out.Scope = strings.TrimSpace(in.Scope)
	if out.Scope != "" && (!isWord(out.Scope) || utf8.RuneCountInString(out.Scope) > MaxScope) {
		p.addf("scope %q must be up to %d letters, digits or . _ - / : with no spaces (for example a project name)", clip(out.Scope), MaxScope)
	}

	out.Tags = p.tags(in.Tags)

	out.TargetUser = strings.TrimSpace(in.TargetUser)
	p.name("targetUser", out.TargetUser, MaxName)
	out.CreatedBy = strings.TrimSpace(in.CreatedBy)
	p.name("createdBy", out.CreatedBy, MaxName)
	out.SessionID = strings.TrimSpace(in.SessionID)
	p.name("sessionId", out.SessionID, MaxRequestID)
	out.RequestID = strings.TrimSpace(in.RequestID)
	p.name("requestId", out.RequestID, MaxRequestID)

	if len(p) > 0 {
		return Input{}, &ValidationError{Problems: p}
	}
	return out, nil
}

func (p *problems) choices(in []Choice) []Choice {
	if len(in) > MaxChoices {
		p.addf("choices has %d entries; at most %d are allowed", len(in), MaxChoices)
		return nil
	}
	var out []Choice
	labels := map[string]int{}
	for i, c := range in {
		c.Label, c.Value = strings.TrimSpace(c.Label), strings.TrimSpace(c.Value)
		field := fmt.Sprintf("choices[%d]", i)
		if c.Label == "" {
			p.addf("%s.label is required (the text on the button)", field)
		} else if n := utf8.RuneCountInString(c.Label); n > MaxLabel {
			p.addf("%s.label is %d characters long; the limit is %d", field, n, MaxLabel)
		} else if j, dup := labels[c.Label]; dup {
			p.addf("%s.label %q repeats choices[%d].label", field, clip(c.Label), j)
		} else {
			labels[c.Label] = i
		}
		p.line(field+".label", c.Label)
		if c.Value == "" {
			p.addf("%s.value is required (the prompt sent when the user picks it)", field)
		}
		p.text(field+".value", c.Value, MaxValue)
		out = append(out, c)
	}
	return out
}

func (p *problems) tags(in []string) []string {
	if len(in) > MaxTags {
		p.addf("tags has %d entries; at most %d are allowed", len(in), MaxTags)
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for i, t := range in {
		t = strings.TrimSpace(t)
		switch {
		case t == "":
			p.addf("tags[%d] is empty", i)
		case !isWord(t) || utf8.RuneCountInString(t) > MaxTag:
			p.addf("tags[%d] %q must be 1 to %d letters, digits or . _ - / : with no spaces", i, clip(t), MaxTag)
		case !seen[t]:
			seen[t] = true
			out = append(out, t)
		}
	}
	return out
}

// line checks a single-line field: valid UTF-8, no control characters.
func (p *problems) line(field, s string) {
	if !utf8.ValidString(s) {
		p.addf("%s is not valid UTF-8", field)
		return
	}
	if strings.IndexFunc(s, unicode.IsControl) >= 0 {
		p.addf("%s must be one line without control characters", field)
	}
}

// text checks a multi-line field: valid UTF-8, at most max characters, no
// control characters besides newline, carriage return and tab.
func (p *problems) text(field, s string, max int) {
	if !utf8.ValidString(s) {
		p.addf("%s is not valid UTF-8", field)
		return
	}
	if n := utf8.RuneCountInString(s); n > max {
		p.addf("%s is %d characters long; the limit is %d", field, n, max)
	}
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' }) >= 0 {
		p.addf("%s contains control characters", field)
	}
}

func (p *problems) name(field, s string, max int) {
	if n := utf8.RuneCountInString(s); n > max {
		p.addf("%s is %d characters long; the limit is %d", field, n, max)
	}
	p.line(field, s)
}

func statusProblem(s string) string {
	return fmt.Sprintf("status %q is not one of pending, completed, dismissed", clip(s))
}

// isIdent reports whether s is a lowercase identifier: a-z, then a-z 0-9 - _.
func isIdent(s string) bool {
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
		case i > 0 && (r >= '0' && r <= '9' || r == '-' || r == '_'):
		default:
			return false
		}
	}
	return s != ""
}

// isWord reports whether s is letters, digits and . _ - / : only.
func isWord(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("._-/:", r) {
			return false
		}
	}
	return s != ""
}

// clip shortens a value quoted back in an error message.
func clip(s string) string { return textclip.Head(s, 40) }
