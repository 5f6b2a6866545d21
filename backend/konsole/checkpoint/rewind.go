package checkpoint

import (
	"context"
	"errors"
	"fmt"
)

// Turn names the two snapshots Konsole takes around one prompt (see
// Take): Start just before the prompt goes to the agent, End when its
// turn ended. An End never taken (Konsole stopped during the turn) tells
// nothing about changes from outside.
type Turn struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// nowName keeps the latest snapshot of "now" that Stats and Rewind take.
const nowName = "now"

// File is one file a rewind puts back.
type File struct {
	Change
	// ChangedOutside says someone else than the agent changed the file
	// after the prompt: between one turn's end and the next prompt, or
	// after the last turn's end. A rewind leaves it alone unless told to
	// overwrite it.
	ChangedOutside bool `json:"changedOutside"`
	// Restored says the rewind put it back (false in a dry run, and for
	// a file changed outside and not to be overwritten).
	Restored bool `json:"restored"`
}

// Plan is what rewinding to a snapshot does to the folder.
type Plan struct {
	// Files differ between the snapshot and now, sorted by path.
	Files []File `json:"files"`
	// Skipped files are over the size bound in the snapshot or now: not
	// kept, so a rewind leaves them as they are.
	Skipped []Skipped `json:"skipped,omitempty"`
	// Nested repositories are not kept either.
	Nested []string `json:"nested,omitempty"`
}

// Stats returns, for each snapshot named in starts, what changed in
// folder from it to now.
func (s *Store) Stats(ctx context.Context, session, folder string, starts []string) ([]Stats, error) {
	release, err := s.acquire(ctx, session)
	if err != nil {
		return nil, err
	}
	defer release()
	sh, err := s.open(session, folder)
	if err != nil {
		return nil, err
	}
	cur, err := sh.take(ctx, nowName)
	if err != nil {
		return nil, err
	}
	out := make([]Stats, len(starts))
	for i, start := range starts {
		from, err := sh.read(ctx, ref(start))
		if err != nil {
			return nil, err
		}
		ch, err := sh.diff(ctx, from.ID, cur.ID)
		if err != nil {
			return nil, err
		}
		out[i] = Sum(keptOnly(ch, from, cur))
	}
	return out, nil
}

// RewindOptions say how Rewind goes.
type RewindOptions struct {
	// Overwrite names files changed outside the agent to put back too.
	Overwrite []string
	// DryRun plans and changes nothing.
	DryRun bool
	// Record names the snapshots kept of the folder just before and just
	// after an applied rewind. The caller adds it to its turns (a rewind
	// is Konsole's change, as a turn is the agent's), so that a later
	// rewind does not take the rewind for a change from outside, and
	// still sees what was changed outside before it.
	Record Turn
}

// Rewind puts folder back to the snapshot turns[0].Start: every file the
// snapshot holds gets its bytes and kind back, files made since are
// removed, and the folders they leave empty too. turns are the turns (and
// rewinds, see RewindOptions.Record) from the one of that prompt to the
// last, oldest first; they tell which files changed outside the agent
// (see File.ChangedOutside), which are left alone unless o.Overwrite
// names them.
func (s *Store) Rewind(ctx context.Context, session, folder string, turns []Turn, o RewindOptions) (Plan, error) {
	if len(turns) == 0 || turns[0].Start == "" {
		return Plan{}, fmt.Errorf("failed to rewind: no checkpoint to rewind to")
	}
	if !o.DryRun {
		if err := errors.Join(checkName("the checkpoint name", o.Record.Start), checkName("the checkpoint name", o.Record.End)); err != nil {
			return Plan{}, err
		}
	}
	for _, t := range turns {
		if err := errors.Join(checkName("the checkpoint name", t.Start), checkName("the checkpoint name", t.End)); err != nil {
			return Plan{}, err
		}
	}
	release, err := s.acquire(ctx, session)
	if err != nil {
		return Plan{}, err
	}
	defer release()
	sh, err := s.open(session, folder)
	if err != nil {
		return Plan{}, err
	}
	cur, err := sh.take(ctx, nowName)
	if err != nil {
		return Plan{}, err
	}
	target, err := sh.read(ctx, ref(turns[0].Start))
	if err != nil {
		return Plan{}, err
	}
	changes, err := sh.diff(ctx, target.ID, cur.ID)
	if err != nil {
		return Plan{}, err
	}
	outside, err := sh.outside(ctx, turns, cur.ID)
	if err != nil {
		return Plan{}, err
	}
	plan := Plan{Skipped: append(target.Skipped, cur.Skipped...), Nested: union(target.Nested, cur.Nested)}
	force := map[string]bool{}
	for _, p := range o.Overwrite {
		force[p] = true
	}
	for _, c := range keptOnly(changes, target, cur) {
		plan.Files = append(plan.Files, File{Change: c, ChangedOutside: outside[c.Path]})
	}
	if o.DryRun {
		return plan, nil
	}
	if err := sh.keep(o.Record.Start, cur.ID, false); err != nil {
		return plan, err
	}
	if err := sh.restore(ctx, target.ID, plan.Files, func(f File) bool { return !f.ChangedOutside || force[f.Path] }); err != nil {
		return plan, err
	}
	for i := range plan.Files {
		plan.Files[i].Restored = !plan.Files[i].ChangedOutside || force[plan.Files[i].Path]
	}
	_, err = sh.take(ctx, o.Record.End)
	return plan, err
}

// outside is the set of files changed between one turn's end and the
// next prompt, or after the last turn's end (cur): by someone else than
// the agent. A turn with no end tells nothing.
func (sh *shadow) outside(ctx context.Context, turns []Turn, cur string) (map[string]bool, error) {
	set := map[string]bool{}
	for i, t := range turns {
		if t.End == "" {
			continue
		}
		end, err := sh.read(ctx, ref(t.End))
		if err != nil {
			continue
		}
		next := cur
		if i+1 < len(turns) {
			st, err := sh.read(ctx, ref(turns[i+1].Start))
			if err != nil {
				continue
			}
			next = st.ID
		}
		names, err := sh.names(ctx, end.ID, next)
		if err != nil {
			return nil, err
		}
		for p := range names {
			set[p] = true
		}
	}
	return set, nil
}

// keptOnly drops the changes of files left out of either snapshot (over
// the size bound): such a file only looks added or deleted, and its
// bytes are not kept to bring back.
func keptOnly(changes []Change, a, b Snapshot) []Change {
	left := map[string]bool{}
	for _, sk := range append(append([]Skipped(nil), a.Skipped...), b.Skipped...) {
		left[sk.Path] = true
	}
	if len(left) == 0 {
		return changes
	}
	var out []Change
	for _, c := range changes {
		if !left[c.Path] {
			out = append(out, c)
		}
	}
	return out
}

// ref is the ref of the snapshot kept under name.
func ref(name string) string { return "refs/checkpoints/" + name }

func union(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range append(append([]string(nil), a...), b...) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
