package app

// flush returns once every notification queued and every tray change made
// before it has reached the OS, or once the Desktop stops: the explicit
// signal a test waits on instead of sleeping.
func (d *Desktop) flush() {
	ack := make(chan struct{})
	select {
	case d.flushes <- ack:
	case <-d.done:
		return
	}
	select {
	case <-ack:
	case <-d.done:
	}
}
