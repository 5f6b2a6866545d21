package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sync"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver, registered as "sqlite"
)

// Store is an open Konsole database. The caller should call Close.
//
// Events, the hot path, are written on a connection of their own with the
// INSERT prepared once. No connection checkpoints the write-ahead log inside
// its commits (wal_autocheckpoint is 0): a background checkpointer does, so
// that copying pages into the database file and its fsyncs stay off the
// path from an agent's output to the event stream (see checkpoint.go).
type Store struct {
	db   *sql.DB
	path string

	// wmu serializes event writes; the checkpointer holds it for the short
	// pass that lets the log restart (see checkpointer).
	wmu    sync.Mutex
	wconn  *sql.Conn
	insert *sql.Stmt

	ckpt *checkpointer
}

const schema = `
CREATE TABLE IF NOT EXISTS events (
	id         INTEGER PRIMARY KEY,
	type       TEXT NOT NULL,
	session_id TEXT NOT NULL DEFAULT '',
	turn_id    TEXT NOT NULL DEFAULT '',
	line       BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (
	key   TEXT PRIMARY KEY,
	value INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
	id          TEXT PRIMARY KEY,
	data        BLOB NOT NULL,
	active_turn TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	session_id TEXT NOT NULL,
	turn_id    TEXT NOT NULL DEFAULT '',
	role       TEXT NOT NULL,
	content    BLOB NOT NULL,
	at         TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_by_session ON messages(session_id, id);
CREATE TABLE IF NOT EXISTS kontasks (
	id         TEXT PRIMARY KEY,
	data       BLOB NOT NULL,
	status     TEXT NOT NULL,
	scope      TEXT NOT NULL DEFAULT '',
	session_id TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	read_at    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS kontasks_by_created ON kontasks(created_at);
CREATE INDEX IF NOT EXISTS kontasks_by_session ON kontasks(session_id, created_at);
CREATE TABLE IF NOT EXISTS blobs (
	key  TEXT PRIMARY KEY,
	data BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS prompt_queue (
	id         TEXT PRIMARY KEY,
	session_id TEXT NOT NULL,
	position   REAL NOT NULL,
	text       TEXT NOT NULL,
	client_id  TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS prompt_queue_by_session ON prompt_queue(session_id, position);
`

// Options change how a Store writes; Konsole uses the zero value.
type Options struct {
	// SQLiteCheckpoints leaves checkpoints to SQLite, inside the commit
	// that takes the write-ahead log past 1,000 pages, instead of the
	// background checkpointer: the benchmarks' baseline.
	SQLiteCheckpoints bool
}

// Open opens (creating if needed) the database at path. Its folder is
// created with mode 0700 and the files with 0600: transcripts are private.
func Open(path string) (*Store, error) { return OpenWith(path, Options{}) }

// OpenWith is Open with options.
func OpenWith(path string, opts Options) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("failed to create the data folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("failed to open the database %s: %w", path, err)
	}
	f.Close()
	q := url.Values{}
	// journal_size_limit: the write-ahead log is cut back to 16 MiB when it
	// restarts, instead of keeping the size of its largest burst (a loop of
	// kontask updates, each rewriting a 1 MiB row) for good.
	pragmas := []string{"journal_mode(WAL)", "busy_timeout(10000)", "synchronous(NORMAL)", "wal_autocheckpoint(0)", fmt.Sprintf("journal_size_limit(%d)", walLimit)}
	if opts.SQLiteCheckpoints {
		pragmas[3] = "wal_autocheckpoint(1000)"
	}
	for _, p := range pragmas {
		q.Add("_pragma", p)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("failed to open the database %s: %w", path, err)
	}
	if _, err := db.Exec(schema + searchSchema + usageSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("failed to prepare the database %s: %w", path, err)
	}
	// The side files hold the same rows as the database: private too. One
	// that SQLite has not made yet is made under the database's own mode.
	for _, side := range []string{"-wal", "-shm"} {
		if err := os.Chmod(path+side, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			db.Close()
			return nil, fmt.Errorf("failed to restrict %s: %w", path+side, err)
		}
	}
	// Connections beyond the idle ones are closed after use; keep enough
	// for the writer, the checkpointer and a few readers without reopening
	// (each opening parses the schema again).
	db.SetMaxIdleConns(6)
	s := &Store{db: db, path: path}
	if err := s.buildIndex(); err != nil {
		db.Close()
		return nil, fmt.Errorf("failed to prepare the database %s: %w", path, err)
	}
	if s.wconn, err = db.Conn(context.Background()); err == nil {
		s.insert, err = s.wconn.PrepareContext(context.Background(), `INSERT INTO events(id, type, session_id, turn_id, line) VALUES (?, ?, ?, ?, ?)`)
	}
	if err != nil {
		if s.wconn != nil {
			s.wconn.Close()
		}
		db.Close()
		return nil, fmt.Errorf("failed to prepare the database %s: %w", path, err)
	}
	if !opts.SQLiteCheckpoints {
		s.ckpt = startCheckpointer(s)
	}
	return s, nil
}

// Close stops the checkpointer and closes the database (which checkpoints
// what is left in the write-ahead log).
func (s *Store) Close() error {
	s.ckpt.stop()
	s.wmu.Lock()
	s.insert.Close()
	s.wconn.Close()
	s.wmu.Unlock()
	return s.db.Close()
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// DB exposes the handle for checks such as PRAGMA integrity_check.
func (s *Store) DB() *sql.DB { return s.db }
