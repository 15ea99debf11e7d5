package refs

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Renewals are jittered, a tenth of the interval either way, so that
// holders that dirtied at once spread out instead of renewing in step.
func TestRenewalsAreJittered(t *testing.T) {
	const every = time.Second
	lo, hi := every, every
	for range 1000 {
		d := jitter(every)
		lo, hi = min(lo, d), max(hi, d)
	}
	assert.GreaterOrEqual(t, lo, every-every/renewalJitter, "never more than a tenth early")
	assert.LessOrEqual(t, hi, every+every/renewalJitter, "never more than a tenth late")
	assert.Less(t, lo, every-every/20, "spread early")
	assert.Greater(t, hi, every+every/20, "spread late")
	assert.Equal(t, time.Duration(5), jitter(5), "too short to jitter")
}
