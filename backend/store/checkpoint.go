package store

import (
	"sync"
	"sync/atomic"
	"time"
)

const (
	// checkpointEvery is how often the checkpointer runs at the least.
	checkpointEvery = 500 * time.Millisecond
	// checkpointKickRows events written wake it sooner.
	checkpointKickRows = 512
	// restartFrames is the size of the write-ahead log (in frames, pages)
	// past which the checkpointer finishes with a short pass that holds
	// the event writer, so that the log can restart instead of growing.
	restartFrames = 1000
)

// checkpointer copies the write-ahead log into the database file in the
// background (PRAGMA wal_checkpoint(PASSIVE), which neither waits for nor
// blocks writers), in place of SQLite's automatic checkpoints (a nil
// checkpointer, with Options.SQLiteCheckpoints), which run
// inside the commit that crosses 1,000 pages and add the copy and two
// fsyncs to that commit's latency.
//
// A checkpoint only lets the log restart from its beginning when it has
// copied every frame before the next write starts. Under steady traffic
// some event is always written during a pass, so when the log has grown
// past restartFrames the checkpointer runs one more pass holding the
// event writer: it has only the frames written during the first pass to
// copy, and the next write restarts the log.
type checkpointer struct {
	s    *Store
	rows atomic.Int64
	kick chan struct{}
	quit chan struct{}
	done chan struct{}
	once sync.Once
}

func startCheckpointer(s *Store) *checkpointer {
	c := &checkpointer{s: s, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// wrote counts events written and wakes the checkpointer every
// checkpointKickRows of them.
func (c *checkpointer) wrote(n int) {
	if c == nil || c.rows.Add(int64(n)) < checkpointKickRows {
		return
	}
	c.rows.Store(0)
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
		case <-c.kick:
		}
		c.pass()
	}
}

func (c *checkpointer) pass() {
	// frames and copied count the log as it was when this pass began;
	// events written since are not in either.
	frames, _, err := c.checkpoint()
	if err != nil || frames < restartFrames {
		return
	}
	c.s.wmu.Lock()
	defer c.s.wmu.Unlock()
	c.checkpoint()
}

// checkpoint runs one passive checkpoint and returns the frames in the log
// when it began and how many of those are now in the database file. An error (such as a
// full disk) is left for the next pass: the log keeps every commit.
func (c *checkpointer) checkpoint() (frames, copied int, err error) {
	var busy int
	err = c.s.db.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	return frames, copied, err
}

func (c *checkpointer) stop() {
	if c == nil {
		return
	}
	c.once.Do(func() { close(c.quit) })
	<-c.done
}
