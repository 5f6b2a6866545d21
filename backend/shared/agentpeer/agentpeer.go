package agentpeer

import (
	"context"
	"net"
	"net/http"
	"sync"

	"github.com/konui/konui/backend/shared/httpjson"
)

// CodeAgentCaller answers a request whose peer process is an agent or one
// of its descendants.
const CodeAgentCaller = "agent_caller"

// Guard refuses requests from agents' processes. Its zero value refuses
// nothing.
type Guard struct {
	// Agents gives the pids of the agent processes running now (each the
	// root of a tree to refuse). Nil or empty: nothing is refused and
	// nothing is read from /proc.
	Agents func() []int
	// Exempt, when set, lets a request through whatever its peer: an
	// agent's own calls that it is meant to make (Konsole's /mcp with the
	// session's own token).
	Exempt func(*http.Request) bool
}

// verdict is one connection's answer, worked out on its first request and
// kept for the others (see ConnContext).
type verdict struct {
	once  sync.Once
	agent bool
}

type verdictKey struct{}

// ConnContext is an http.Server's ConnContext: it gives each connection a
// place for its verdict, so that /proc is read once per connection, not
// once per request. The verdict is not worked out here: ConnContext runs
// in the accept loop, which must not wait on /proc.
func ConnContext(ctx context.Context, _ net.Conn) context.Context {
	return context.WithValue(ctx, verdictKey{}, &verdict{})
}

// Wrap refuses requests of next whose peer is an agent's process with
// 403 agent_caller.
func (g *Guard) Wrap(next http.Handler) http.Handler {
	if g == nil || g.Agents == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if (g.Exempt == nil || !g.Exempt(r)) && g.fromAgent(r) {
			httpjson.Error(w, http.StatusForbidden, CodeAgentCaller,
				"this connection comes from an agent's own process: agents cannot call Konsole or the bridge, they ask for permission instead")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// fromAgent tells whether r's peer process is under an agent's tree,
// reusing the connection's verdict when there is one.
func (g *Guard) fromAgent(r *http.Request) bool {
	v, _ := r.Context().Value(verdictKey{}).(*verdict)
	if v == nil {
		return g.judge(r)
	}
	v.once.Do(func() { v.agent = g.judge(r) })
	return v.agent
}

func (g *Guard) judge(r *http.Request) bool {
	pids := g.Agents()
	if len(pids) == 0 {
		return false
	}
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	peer, err := net.ResolveTCPAddr("tcp", r.RemoteAddr)
	if local == nil || err != nil {
		return false
	}
	self, ok := local.(*net.TCPAddr)
	if !ok {
		return false
	}
	return PeerUnder(peer, self, pids)
}
