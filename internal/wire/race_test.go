//go:build race

package wire

// raceEnabled: the race detector drops pooled items at random.
const raceEnabled = true
