// Package agentpeer refuses HTTP requests whose peer is an agent's own
// process. Konsole runs each agent as the person's user on the person's
// machine; anything the agent runs can reach Konsole's and the bridge's
// loopback ports, and a token it has found would let it approve its own
// requests. On Linux the peer of a loopback connection is found through its
// socket (/proc/net/tcp and tcp6 give the inode, /proc/<pid>/fd names the
// process holding it), and a process under an agent's process tree is
// refused with 403 agent_caller. Elsewhere the check does nothing.
//
// Start reading at Guard.
package agentpeer
