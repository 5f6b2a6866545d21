package auth

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/konui/konui/backend/shared/atomicfile"
)

// TokenSource says where a token comes from. Tokens are never taken from
// the command line: /proc/<pid>/cmdline is readable by every local user.
type TokenSource struct {
	// File is the value of a --...-token-file flag.
	File string
	// Env is the variable to read when File is empty, e.g. KONSOLE_TOKEN.
	Env string
}

// Read returns the token from the file, else from the environment, and
// where it came from (for messages, never the value). It returns "" when
// neither is set. The variable is removed from this process's environment
// once read, so that no child (an agent) inherits it.
func (s TokenSource) Read() (token, from string, err error) {
	if s.File != "" {
		t, err := ReadTokenFile(s.File)
		return t, s.File, err
	}
	if s.Env != "" {
		if t := os.Getenv(s.Env); t != "" {
			// The children this process starts must not inherit it.
			if err := os.Unsetenv(s.Env); err != nil {
				return "", "", fmt.Errorf("failed to clear $%s: %w", s.Env, err)
			}
			return t, "$" + s.Env, nil
		}
	}
	return "", "", nil
}

// ReadTokenFile reads a token from a file, refusing an empty one.
func ReadTokenFile(path string) (string, error) {
	b, err := ReadSecretFile(path, "token file", "token")
	if err != nil {
		return "", err
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("the token file %s is empty", path)
	}
	return t, nil
}

// LoadOrCreateToken reads the token stored in path, or creates one there
// with mode 0600 (its folder 0700). created tells which happened.
func LoadOrCreateToken(path string) (token string, created bool, err error) {
	b, err := os.ReadFile(path)
	if err == nil {
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, false, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", false, fmt.Errorf("failed to read the token file %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", false, fmt.Errorf("failed to create %s: %w", filepath.Dir(path), err)
	}
	token = NewToken()
	if err := atomicfile.Write(path, []byte(token+"\n"), 0o600); err != nil {
		return "", false, err
	}
	return token, true, nil
}

// looksLikeToken is a token's one long word, given where a file's path
// was asked for.
var looksLikeToken = regexp.MustCompile(`^[A-Za-z0-9_-]{24,}$`)

// ReadSecretFile reads the file at path (file names it: "token file"),
// which holds a secret (secret: "token"). The errors name the path, unless
// it looks like the secret itself (the token, or a pairing string, given
// in its place): then they say so without repeating it, so that it
// reaches no terminal scrollback or log.
func ReadSecretFile(path, file, secret string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return b, nil
	}
	if looksLikeToken.MatchString(path) || strings.Contains(path, "://") || strings.Contains(path, "token=") {
		return nil, fmt.Errorf("failed to read the %s: what was given looks like the %s itself, not the path of a file holding it (save it in a file only you can read and give that file's path)", file, secret)
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return nil, fmt.Errorf("failed to read the %s %s: %w", file, path, err)
}
