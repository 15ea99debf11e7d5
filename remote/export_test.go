package remote

// Crash closes rt as a crash in its own process would look to its peers:
// its connections drop and it sends no cleans, so its owners must see its
// leases lapse. For in-process tests of what kill -9 does.
func (rt *Runtime) Crash() error {
	rt.crash = true
	return rt.Close()
}
