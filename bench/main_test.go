package main

import (
	"testing"

	"go.uber.org/goleak"
)

// Every server stops its goroutines, and every client its own.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
