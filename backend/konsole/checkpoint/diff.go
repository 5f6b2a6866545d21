package checkpoint

import (
	"context"
	"sort"
	"strconv"
	"strings"
)

// Status of a file between a snapshot and now, as a rewind sees it.
const (
	// Modified: in both, with other bytes or another kind (file, link).
	Modified = "modified"
	// Added: made since the snapshot; a rewind removes it.
	Added = "added"
	// Deleted: removed since the snapshot; a rewind brings it back.
	Deleted = "deleted"
)

// Change is one file that differs between two snapshots.
type Change struct {
	Path       string `json:"path"`
	Status     string `json:"status"`
	Insertions int    `json:"insertions"`
	Deletions  int    `json:"deletions"`
	// Binary says the line counts are not known (the file is binary).
	Binary bool `json:"binary,omitempty"`

	// What the older snapshot holds at Path: its git mode (100644,
	// 100755, 120000) and object, empty for Added.
	fromMode, fromObject string
}

// Stats sums changes.
type Stats struct {
	Changed    int `json:"changed"`
	Insertions int `json:"insertions"`
	Deletions  int `json:"deletions"`
}

// Sum adds up the line counts of changes.
func Sum(changes []Change) Stats {
	st := Stats{Changed: len(changes)}
	for _, c := range changes {
		st.Insertions += c.Insertions
		st.Deletions += c.Deletions
	}
	return st
}

// diff lists what differs from the snapshot from to the snapshot to,
// sorted by path, with line counts. Renames are a deletion and an
// addition: a rewind handles each path on its own.
func (sh *shadow) diff(ctx context.Context, from, to string) ([]Change, error) {
	if from == to {
		return nil, nil
	}
	out, err := sh.git(ctx, nil, "diff-tree", "-r", "-z", "--no-renames", "--no-ext-diff", "--no-textconv", "--raw", "--numstat", from, to)
	if err != nil {
		return nil, err
	}
	return parseDiff(out), nil
}

// parseDiff reads diff-tree's --raw --numstat -z output: every raw
// record (":meta\0path\0") first, then every numstat record
// ("ins\tdel\tpath\0").
func parseDiff(out []byte) []Change {
	recs := split0(out)
	byPath := map[string]*Change{}
	var changes []*Change
	for i := 0; i < len(recs); i++ {
		rec := recs[i]
		if strings.HasPrefix(rec, ":") && i+1 < len(recs) {
			f := strings.Fields(rec[1:])
			i++
			if len(f) < 5 {
				continue
			}
			c := &Change{Path: recs[i], Status: Modified}
			switch f[4][0] {
			case 'A':
				c.Status = Added
			case 'D':
				c.Status = Deleted
			}
			if c.Status != Added {
				c.fromMode, c.fromObject = f[0], f[2]
			}
			if f[0] == "160000" || f[1] == "160000" {
				continue // a nested repository: never kept, never rewound
			}
			byPath[c.Path] = c
			changes = append(changes, c)
			continue
		}
		f := strings.SplitN(rec, "\t", 3)
		if len(f) != 3 {
			continue
		}
		c, ok := byPath[f[2]]
		if !ok {
			continue
		}
		if f[0] == "-" {
			c.Binary = true
			continue
		}
		c.Insertions, _ = strconv.Atoi(f[0])
		c.Deletions, _ = strconv.Atoi(f[1])
	}
	res := make([]Change, 0, len(changes))
	for _, c := range changes {
		res = append(res, *c)
	}
	sort.Slice(res, func(i, j int) bool { return res[i].Path < res[j].Path })
	return res
}

// names lists the paths that differ between two snapshots.
func (sh *shadow) names(ctx context.Context, from, to string) (map[string]bool, error) {
	set := map[string]bool{}
	if from == to {
		return set, nil
	}
	out, err := sh.git(ctx, nil, "diff-tree", "-r", "-z", "--no-renames", "--name-only", from, to)
	if err != nil {
		return nil, err
	}
	for _, p := range split0(out) {
		set[p] = true
	}
	return set, nil
}
