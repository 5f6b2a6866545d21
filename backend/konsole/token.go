package konsole

import (
	"context"
	"net/http"
	"os"
	"time"

	"github.com/konui/konui/backend/shared/atomicfile"
	"github.com/konui/konui/backend/shared/auth"
)

// tokenState is the token in use and what follows it. A token changes at
// run time when a person rotates it (RotateToken, or `konui konsole
// --rotate-token` rewriting Config.TokenFile), typically because an agent
// saw the old one.
type tokenState struct {
	token string
	// seen is the token file's identity when it was last read.
	seen fileStamp
	// gen ends when the token changes: requests made with the old one,
	// event streams above all, end with it.
	gen    context.Context
	cancel context.CancelFunc
}

// fileStamp tells one version of a file from the next: atomicfile
// replaces the file, so its inode changes even within one mtime tick.
type fileStamp struct {
	ino   uint64
	mtime time.Time
	size  int64
}

func stampOf(fi os.FileInfo) fileStamp {
	return fileStamp{ino: inodeOf(fi), mtime: fi.ModTime(), size: fi.Size()}
}

// Token returns the API token in use (after reading Config.TokenFile again
// if it changed).
func (s *Server) Token() string {
	s.followTokenFile()
	s.tokMu.Lock()
	defer s.tokMu.Unlock()
	return s.tok.token
}

// tokenGen returns the token in use and a context that ends when it
// changes.
func (s *Server) tokenGen() (string, context.Context) {
	s.followTokenFile()
	s.tokMu.Lock()
	defer s.tokMu.Unlock()
	return s.tok.token, s.tok.gen
}

// followTokenFile takes the token of Config.TokenFile when the file has
// changed since it was last read: one stat per request, no lock held
// across it.
func (s *Server) followTokenFile() {
	if s.cfg.TokenFile == "" {
		return
	}
	fi, err := os.Stat(s.cfg.TokenFile)
	if err != nil {
		return // gone or unreadable: the token in use stays
	}
	st := stampOf(fi)
	s.tokMu.Lock()
	same := st == s.tok.seen
	s.tokMu.Unlock()
	if same {
		return
	}
	tok, err := auth.ReadTokenFile(s.cfg.TokenFile)
	if err != nil {
		return
	}
	s.tokMu.Lock()
	s.tok.seen = st
	s.tokMu.Unlock()
	s.setToken(tok)
}

// setToken puts tok in use: requests with the old one are refused from
// now, and those under way with it (event streams) end.
func (s *Server) setToken(tok string) {
	s.tokMu.Lock()
	if tok == s.tok.token {
		s.tokMu.Unlock()
		return
	}
	old := s.tok.cancel
	s.tok.token = tok
	s.tok.gen, s.tok.cancel = context.WithCancel(context.Background())
	s.tokMu.Unlock()
	s.exposure.setToken(tok)
	if old != nil {
		old()
		s.lg.Info("Konsole has a new token: the old one is refused from now on")
	}
}

// RotateToken gives Konsole a new random token, at once, and returns it;
// with Config.TokenFile it is written there too (mode 0600, atomically).
// The caller hands it to its bridge (the desktop's and serve's own
// Konsole); nothing else learns it.
func (s *Server) RotateToken() (string, error) {
	tok := auth.NewToken()
	if s.cfg.TokenFile != "" {
		if err := atomicfile.Write(s.cfg.TokenFile, []byte(tok+"\n"), 0o600); err != nil {
			return "", err
		}
	}
	s.setToken(tok)
	return tok, nil
}

// endWithToken ends r's context when the token it was made with is
// replaced: an event stream opened with the old token does not outlive it.
func endWithToken(r *http.Request, gen context.Context) (*http.Request, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(gen, cancel)
	return r.WithContext(ctx), func() { stop(); cancel() }
}
