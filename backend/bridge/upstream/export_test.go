package upstream

import "context"

// Once makes one connection, for the tests of package upstream_test (the
// fuzz target runs the hub on what it delivers, and the hub imports this
// package).
func (u *Follower) Once(ctx context.Context) (connected bool, err error) { return u.once(ctx) }
