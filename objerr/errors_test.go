package objerr_test

import (
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/objerr"
)

func TestKindAndCodeSentinels(t *testing.T) {
	err := fmt.Errorf("wrapped: %w", &objerr.Error{Kind: objerr.KindNotSent, Code: objerr.CodeNoSuchObject, Reason: "gone"})
	assert.ErrorIs(t, err, objerr.ErrNotSent)
	assert.ErrorIs(t, err, objerr.ErrNoSuchObject)
	assert.NotErrorIs(t, err, objerr.ErrRemote)
	assert.NotErrorIs(t, err, objerr.ErrNoSuchMethod)
	assert.Equal(t, objerr.KindNotSent, objerr.KindOf(err))
	assert.Equal(t, objerr.CodeNoSuchObject, objerr.CodeOf(err))
	assert.Equal(t, objerr.Kind(0), objerr.KindOf(errors.New("plain")))
}

func TestTimeoutSatisfiesNetError(t *testing.T) {
	var ne net.Error = &objerr.Error{Kind: objerr.KindOutcomeUnknown, Code: objerr.CodeDeadlineExceeded}
	assert.True(t, ne.Timeout())
}

func TestCodesRefuseDuplicates(t *testing.T) {
	a, b := errors.New("a"), errors.New("b")
	var c objerr.Codes
	require.NoError(t, c.Register("x", a))
	assert.Error(t, c.Register("x", b), "one code, one meaning")
	assert.Error(t, c.Register("y", a), "one sentinel, one code")
	assert.Error(t, c.Register("", b))
	assert.Equal(t, "", c.CodeFor(b))
	assert.Nil(t, c.Sentinel("nope"))
}
