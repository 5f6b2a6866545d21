package history

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
)

// MaxConversations bounds the conversations List reads.
const MaxConversations = 20000

// List returns the conversations under home, newest first. Files it cannot
// read are left out; a missing folder is an empty list.
func List(home string) ([]Conversation, error) {
	paths, err := files(Dir(home))
	if err != nil {
		return nil, err
	}
	out := make([]Conversation, len(paths))
	ok := make([]bool, len(paths))
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < max(1, min(runtime.GOMAXPROCS(0), 8)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c := Conversation{AgentSessionID: strings.TrimSuffix(filepath.Base(paths[i]), ".jsonl")}
				if scan(paths[i], &c, nil) == nil && c.Messages > 0 {
					out[i], ok[i] = c, true
				}
			}
		}()
	}
	for i := range paths {
		work <- i
	}
	close(work)
	wg.Wait()
	list := make([]Conversation, 0, len(out))
	for i, c := range out {
		if ok[i] {
			list = append(list, c)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].UpdatedAt.Equal(list[j].UpdatedAt) {
			return list[i].UpdatedAt.After(list[j].UpdatedAt)
		}
		return list[i].AgentSessionID < list[j].AgentSessionID
	})
	return list, nil
}

// files lists the conversation files one folder below dir.
func files(dir string) ([]string, error) {
	folders, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("failed to list the CLI's conversations: %w", err)
	}
	var paths []string
	for _, f := range folders {
		if !f.IsDir() {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(dir, f.Name()))
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			if e.Type().IsRegular() && strings.HasSuffix(name, ".jsonl") && ValidID(strings.TrimSuffix(name, ".jsonl")) {
				paths = append(paths, filepath.Join(dir, f.Name(), name))
				if len(paths) >= MaxConversations {
					return paths, nil
				}
			}
		}
	}
	return paths, nil
}

// Find returns the file of conversation id under home (the newest when two
// folders hold one), or ErrNotFound.
func Find(home, id string) (string, error) {
	if !ValidID(id) {
		return "", ErrNotFound
	}
	matches, _ := filepath.Glob(filepath.Join(Dir(home), "*", id+".jsonl"))
	best, bestAt := "", int64(0)
	for _, m := range matches {
		if fi, err := os.Stat(m); err == nil && fi.Mode().IsRegular() && (best == "" || fi.ModTime().UnixNano() > bestAt) {
			best, bestAt = m, fi.ModTime().UnixNano()
		}
	}
	if best == "" {
		return "", ErrNotFound
	}
	return best, nil
}

// Read returns conversation id under home with its messages, oldest first.
func Read(home, id string) (Conversation, []Message, error) {
	path, err := Find(home, id)
	if err != nil {
		return Conversation{}, nil, err
	}
	c := Conversation{AgentSessionID: id}
	var msgs []Message
	if err := scan(path, &c, func(m Message) { msgs = append(msgs, m) }); err != nil {
		return Conversation{}, nil, err
	}
	return c, msgs, nil
}
