//go:build race

package remote_test

// raceEnabled: the race detector multiplies memory several times over,
// so memory bounds are checked only without it.
const raceEnabled = true
