package etcdstore_test

import (
	"testing"
)

func child() bool { return false }

func buildAndRun(m *testing.M) int {
	code := m.Run()
	if code == 0 {
		if err := goleakFind(); err != nil {
			return 1
		}
	}
	return code
}
