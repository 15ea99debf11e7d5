//go:build race

package main

// raceEnabled builds the daemon under test like the test itself.
const raceEnabled = true
