package bridge

import (
	"context"
	"net/http"
	"regexp"
	"strings"
)

// LocalID is the id of the local (embedded) Konsole, the one Config's
// KonsoleURL describes and the default of every ?konsoleId=.
const LocalID = "local"

// KonsoleSpec is one Konsole the bridge follows.
type KonsoleSpec struct {
	// ID is stable, 1-40 characters of [a-z0-9-]; LocalID for the local one.
	ID string
	// Name is shown to people ("Local", "dev box").
	Name string
	// URL and Token reach the Konsole (when Resolve is nil).
	URL, Token string
	// HTTPClient carries the TLS settings for it (a private CA or a pinned
	// fingerprint); nil takes the default client. It must have no Timeout:
	// the event stream through it stays open for as long as it works.
	HTTPClient *http.Client
	// Resolve, when set, is called before every stream connection attempt
	// and again when a proxied request fails to connect; it gives the URL
	// and token to use now (an SSH tunnel (re)starts here). Its error counts
	// as a failed attempt; its sentence is the state's error.
	Resolve func(ctx context.Context) (url, token string, err error)
	// Close, when set, runs once when the Konsole is removed or the bridge
	// closes.
	Close func()
	// Kind is "local", "url", "pairing" or "ssh" (shown in the dashboard).
	Kind string
	// Disabled lists the Konsole without following it, until a PATCH
	// enables it (an addition to the contract of issue 19: a disabled
	// remote stays visible so that it can be enabled again).
	Disabled bool
}

// Fleet turns a person's request into a Konsole and remembers the list
// (backend/bridge/fleet). Errors that are *APIError reach the client as they are;
// any other is 400 bad_request.
type Fleet interface {
	// Add validates and connects (tests) first.
	Add(ctx context.Context, req AddKonsole) (KonsoleSpec, error)
	Update(id string, name *string, enabled *bool) error
	Remove(id string) error
}

// AddKonsole is the body of POST /api/konsoles: exactly one of Pairing,
// URL (with Token) or SSH.
type AddKonsole struct {
	Name    string `json:"name"`
	Pairing string `json:"pairing"`
	URL     string `json:"url"`
	Token   string `json:"token"`
	SSH     string `json:"ssh"`
}

var konsoleIDPattern = regexp.MustCompile(`^[a-z0-9-]{1,40}$`)

// validSpec checks a spec's id and URL and fills its defaults.
func validSpec(s KonsoleSpec) (KonsoleSpec, error) {
	if !konsoleIDPattern.MatchString(s.ID) {
		return s, &APIError{Status: http.StatusBadRequest, Code: CodeBadRequest, Message: "a Konsole id is 1 to 40 characters of a-z, 0-9 and -"}
	}
	s.URL = strings.TrimRight(s.URL, "/")
	if s.Resolve == nil && !validKonsoleURL(s.URL) {
		return s, &APIError{Status: http.StatusBadRequest, Code: "bad_konsole_url", Message: "the Konsole URL is not a valid http(s) URL"}
	}
	if s.Name == "" {
		s.Name = s.ID
		if s.ID == LocalID {
			s.Name = "Local"
		}
	}
	if s.Kind == "" {
		s.Kind = "url"
		if s.ID == LocalID {
			s.Kind = "local"
		}
	}
	if s.HTTPClient == nil {
		s.HTTPClient = &http.Client{}
	}
	return s, nil
}

// AddKonsole starts following another Konsole at once; an id in use is a
// 409 conflict.
func (b *Bridge) AddKonsole(spec KonsoleSpec) error {
	spec, err := validSpec(spec)
	if err != nil {
		return err
	}
	k := newKonsole(b, spec)
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return &APIError{Status: http.StatusConflict, Code: "conflict", Message: "the bridge is closed"}
	}
	if _, used := b.ks[spec.ID]; used {
		b.mu.Unlock()
		return &APIError{Status: http.StatusConflict, Code: "conflict", Message: "a Konsole with the id " + spec.ID + " is already followed"}
	}
	b.ks[spec.ID] = k
	b.order = append(b.order, spec.ID)
	// The hub's list changes in the same critical section as the map
	// (hub.mu nests inside b.mu, never the other way round, and the hub
	// never blocks), so a removal cannot fall between the two and leave
	// clients a Konsole the bridge no longer has.
	b.hub.AddKonsole(k.info())
	ctx := b.ctx
	b.mu.Unlock()
	if ctx != nil && !spec.Disabled {
		// A RemoveKonsole that came in just now has retired k: start
		// then does nothing.
		k.start(ctx)
	}
	return nil
}

// RemoveKonsole stops following a Konsole and calls its spec's Close.
func (b *Bridge) RemoveKonsole(id string) error {
	b.mu.Lock()
	k := b.ks[id]
	if k == nil {
		b.mu.Unlock()
		return &APIError{Status: http.StatusNotFound, Code: "not_found", Message: "no Konsole has the id " + id}
	}
	delete(b.ks, id)
	for i, o := range b.order {
		if o == id {
			b.order = append(b.order[:i:i], b.order[i+1:]...)
			break
		}
	}
	b.hub.RemoveKonsole(id)
	b.mu.Unlock()
	// Removal is final: whoever still holds k (a PATCH that enables it, an
	// AddKonsole about to start it) can no longer start its upstream, which
	// would retry a closed tunnel for ever where nobody sees it.
	k.retire()
	k.closeSpec()
	b.index.forget(id)
	return nil
}

// Konsoles lists the Konsoles followed, in the order they were added.
func (b *Bridge) Konsoles() []KonsoleInfo {
	infos := b.hub.KonsoleInfos()
	for i := range infos {
		if k := b.konsole(infos[i].ID); k != nil {
			infos[i].LastEventID = k.up.LastID()
		}
	}
	return infos
}

// listedKonsole is an entry of GET /api/konsoles and /api/health: the
// frames' entry and its lastEventId, 0 included (no event delivered yet).
type listedKonsole struct {
	KonsoleInfo
	LastEventID int64 `json:"lastEventId"`
}

// listed is Konsoles() as those routes answer it.
func (b *Bridge) listed() []listedKonsole {
	infos := b.Konsoles()
	out := make([]listedKonsole, len(infos))
	for i, k := range infos {
		out[i] = listedKonsole{KonsoleInfo: k, LastEventID: k.LastEventID}
	}
	return out
}

// konsole returns the Konsole with id, or nil.
func (b *Bridge) konsole(id string) *konsole {
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.ks[id]
}

// all returns every Konsole, in order.
func (b *Bridge) all() []*konsole {
	b.mu.RLock()
	defer b.mu.RUnlock()
	out := make([]*konsole, 0, len(b.order))
	for _, id := range b.order {
		out = append(out, b.ks[id])
	}
	return out
}

// primary is the local Konsole, else the first one, else nil.
func (b *Bridge) primary() *konsole {
	b.mu.RLock()
	defer b.mu.RUnlock()
	if k := b.ks[LocalID]; k != nil {
		return k
	}
	if len(b.order) > 0 {
		return b.ks[b.order[0]]
	}
	return nil
}

// removable reports whether DELETE /api/konsoles/{id} can remove it.
func (b *Bridge) removable(spec KonsoleSpec) bool {
	return b.cfg.Fleet != nil && spec.ID != LocalID && spec.Kind != "local"
}
