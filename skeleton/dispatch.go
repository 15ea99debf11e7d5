package skeleton

import (
	"context"

	"github.com/objrmi/objrmi/internal/dispatch"
	"github.com/objrmi/objrmi/internal/iface"
	"github.com/objrmi/objrmi/internal/link"
	"github.com/objrmi/objrmi/internal/wire"
)

// serveFast serves a call through the server code objstub generated
// (stub.RegisterServer): the arguments are decoded into typed variables
// and the method is called directly, with no reflect.Value.Call and no
// []reflect.Value. It answers as the reflection path of Serve does: the
// same replies for bad arguments, a method's error, results that do not
// encode, and a panic, by the step it happened in. ok is false when the
// generated code does not serve m; nothing was decoded then.
func (s *skel) serveFast(ctx context.Context, h *wire.CallHeader, m *iface.Method, args *wire.Decoder, env *link.Env) (reply *wire.Buffer, ok bool) {
	c := dispatch.Get(m, h.ID, args, env.Refs)
	defer func() {
		if r := recover(); r != nil {
			reply, ok = panicReply(h.ID, m, step(c.Step), r, env.Logger), true
		}
		dispatch.Put(c)
	}()
	if !s.fast(ctx, c) {
		if c.Touched() {
			// Generated code that decoded and then declined: not
			// something objstub writes; the arguments are gone.
			return s.badArguments(h, m, errDeclined), true
		}
		return nil, false
	}
	switch {
	case c.Err != nil:
		return s.badArguments(h, m, c.Err), true
	case c.Step != dispatch.StepResults:
		return s.badArguments(h, m, errDeclined), true
	case c.Ret != nil:
		return methodError(ctx, h.ID, m, c.Ret, env), true
	}
	b := c.Reply()
	if c.EncErr != nil {
		return resultsError(h, m, c.EncErr), true
	}
	return b, true
}

// errDeclined is generated server code that returned without running
// the method it claimed.
var errDeclined = errorString("the generated server code did not run the method (regenerate it with objstub)")

type errorString string

func (e errorString) Error() string { return string(e) }
