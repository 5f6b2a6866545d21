package konsoletest

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// SyncBuffer is a bytes.Buffer safe for a process's output written while
// a test reads it.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// EventIDs reads a Konsole's stored log (GET /v1/events?since=after) and
// returns the ids of its events up to upto; it gives up after 10 s.
func EventIDs(t testing.TB, url, token string, after, upto int64) []int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/v1/events?since=%d", url, after), nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	c := make(chan Event, 100000)
	go func() { _ = ReadSSE(resp.Body, c) }() // the stream's end, however it ends, closes c
	var ids []int64
	for e := range c {
		if e.ID != 0 {
			ids = append(ids, e.ID)
		}
		if e.ID >= upto {
			break
		}
	}
	return ids
}
