//go:build race

package etcdstore_test

// raceEnabled builds the daemon under test like the test itself.
const raceEnabled = true
