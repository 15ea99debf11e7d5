package remote_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/objerr"
)

func TestCallValues(t *testing.T) {
	_, _, _, calc := pair(t)
	ctx := ctxT(t)

	sum, err := calc.Add(ctx, 2, 3)
	require.NoError(t, err)
	assert.Equal(t, int64(5), sum)

	big := bytes.Repeat([]byte("objrmi"), 50_000)
	got, err := calc.Echo(ctx, big)
	require.NoError(t, err)
	assert.Equal(t, big, got)
}

func TestApplicationErrorKeepsSentinel(t *testing.T) {
	_, _, _, calc := pair(t)
	_, err := calc.Div(ctxT(t), 1, 0)
	require.Error(t, err)
	assert.ErrorIs(t, err, testsvc.ErrDivByZero, "the registered sentinel comes back")
	assert.ErrorIs(t, err, objerr.ErrRemote)
	assert.ErrorIs(t, err, objerr.ErrApplication)
	var e *objerr.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, "Calculator.Div", e.Op)
	assert.Contains(t, e.Reason, "dividing 1")
	assert.Equal(t, "*fmt.wrapError", e.RemoteType)
}

func TestPanicFailsOnlyThatCall(t *testing.T) {
	_, _, _, calc := pair(t)
	ctx := ctxT(t)
	err := calc.Panic(ctx, "boom")
	require.Error(t, err)
	assert.ErrorIs(t, err, objerr.ErrPanic)
	assert.ErrorIs(t, err, objerr.ErrRemote)
	assert.Contains(t, err.Error(), "boom")

	sum, err := calc.Add(ctx, 40, 2)
	require.NoError(t, err, "the server survives a panic")
	assert.Equal(t, int64(42), sum)
}
