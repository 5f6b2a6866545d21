package store

import (
	"os"
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
	// walLimit is the journal_size_limit: the log is cut back to this size
	// when it restarts, so a log file larger than it has not restarted.
	walLimit = 16 << 20
	// The event writer looks at the log's size every checkRows events or
	// checkBytes of them, whichever comes first.
	checkRows  = 256
	checkBytes = 1 << 20
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
//
// A checkpointer that falls behind (starved of CPU, or slowed by a busy
// disk while the writer goes on) would let the log grow with the traffic,
// so the writer checks the log's size itself now and then (see wrote) and,
// past walLimit, runs that restarting pass in its own commit path: the
// log stays within walLimit and a few writes, whatever the scheduler does.
type checkpointer struct {
	s    *Store
	rows atomic.Int64
	kick chan struct{}
	quit chan struct{}
	done chan struct{}
	once sync.Once
	// pmu serializes checkpoint passes; it is taken after the store's wmu
	// when both are held.
	pmu sync.Mutex
	// Events and bytes written since the writer last looked at the log's
	// size; only the writer (under wmu) touches them.
	sinceRows, sinceBytes int
}

func startCheckpointer(s *Store) *checkpointer {
	c := &checkpointer{s: s, kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

// wrote counts events written (n of them, size bytes in all) and wakes
// the checkpointer every checkpointKickRows of them. The writer calls it
// holding wmu, after its commit; when the log has outgrown walLimit it
// checkpoints there and then, so the next write restarts the log.
func (c *checkpointer) wrote(n, size int) {
	if c == nil {
		return
	}
	c.sinceRows += n
	c.sinceBytes += size
	if c.sinceRows >= checkRows || c.sinceBytes >= checkBytes {
		c.sinceRows, c.sinceBytes = 0, 0
		if fi, err := os.Stat(c.s.path + "-wal"); err == nil && fi.Size() > walLimit {
			c.pmu.Lock()
			// a busy or failed checkpoint is tried again at the next threshold.
			_, _, _ = c.checkpoint()
			c.pmu.Unlock()
		}
	}
	if c.rows.Add(int64(n)) < checkpointKickRows {
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
	c.pmu.Lock()
	frames, _, err := c.checkpoint()
	c.pmu.Unlock()
	if err != nil || frames < restartFrames {
		return
	}
	c.s.wmu.Lock()
	defer c.s.wmu.Unlock()
	c.pmu.Lock()
	defer c.pmu.Unlock()
	_, _, _ = c.checkpoint() // as above: the next one tries again
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
