package sshtunnel

// SSHPid is the pid of the running ssh, 0 when none: a test kills it to
// drop the connection.
func (t *Tunnel) SSHPid() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cur == nil || !t.cur.alive() {
		return 0
	}
	return t.cur.pid()
}
