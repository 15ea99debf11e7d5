package remote

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"time"

	"github.com/google/uuid"
)

// Side says which end of a call a hook sees.
type Side uint8

// The two sides of a call.
const (
	ClientSide Side = iota + 1 // this runtime makes the call
	ServerSide                 // this runtime serves it
)

func (s Side) String() string {
	switch s {
	case ClientSide:
		return "client"
	case ServerSide:
		return "server"
	}
	return "side(?)"
}

// CallInfo describes one method call to interceptors and observers. The
// runtime's own calls (the DGC's, and Dial's check that an object
// exists) are not shown to them.
type CallInfo struct {
	Side      Side
	Interface string // the remote interface's name, as in Ref.Iface
	// Method is the method's name. On the server it is empty when the
	// object has no such method (only observers see such calls).
	Method string
	Object uint64    // the object's number in its runtime
	Peer   uuid.UUID // the other runtime: the object's owner, or the caller
	// Endpoint is the owner's endpoint, on the client.
	Endpoint string
	// Addr is the caller's network address, on the server.
	Addr net.Addr
	// Principal is who the caller proved to be, on the server.
	Principal Principal
	TLS       bool // the call travels over TLS
	OneWay    bool // a one-way call: no reply comes
	// Meta is the call's metadata: on the client, what it will send
	// (an interceptor or observer may add to it before the call goes);
	// on the server, what it carried.
	Meta Metadata
	// ReplyMeta is the reply's metadata: on the client, once the call
	// has returned; on the server, what SetReplyMetadata set so far.
	ReplyMeta Metadata
	// Start is when the call began, on this side.
	Start time.Time
}

// Interceptor wraps calls: on the client, every method call this
// runtime makes; on the server, every call its rules (Options.Authorize
// and the export's) allowed, just before the method runs. It calls next
// to go on (with ctx, or a context derived from it), and returns next's
// error or its own.
//
// To refuse a call, it returns an error without calling next. On the
// client the caller gets that error as it is. On the server the caller
// gets it "not sent" (the method did not run), with the code of an
// *objerr.Error it returns, or objerr.ErrAccessDenied for any other
// error; a panic in a server interceptor fails that call alone, with
// objerr.ErrPanic. A server interceptor that returns another error than next's
// after next ran replaces the reply with that error (its registered
// code travels, as for a method's). Interceptors run in the order of
// their slice, the first outermost.
type Interceptor func(ctx context.Context, call *CallInfo, next func(context.Context) error) error

// Observer sees every method call, on both sides, without changing it:
// the hook for metrics and traces (package otel in this repository
// adapts it to OpenTelemetry; package observe counts calls for the debug
// page and Prometheus). CallStart runs before the call and the
// interceptors, and returns the context the call goes on with (it may
// carry a span; on the client it may add to call.Meta, which is sent).
// CallEnd runs after, with that context, how long the call took, and
// its error (an *objerr.Error on the server) or nil. Both run on the
// call's goroutine, so they must be quick. A panic in either is logged,
// and the call goes on without that observer. An observer may keep call
// until its CallEnd returns, reading only what was set before CallStart
// (everything but Meta and ReplyMeta): the call's goroutine changes
// those.
//
// On the server an observer sees calls the rules refused, and calls to
// objects or methods that do not exist, as well as those that ran.
type Observer interface {
	CallStart(ctx context.Context, call *CallInfo) context.Context
	CallEnd(ctx context.Context, call *CallInfo, elapsed time.Duration, err error)
}

// chain runs interceptors ics around final.
func chain(ctx context.Context, info *CallInfo, ics []Interceptor, final func(context.Context) error) error {
	if len(ics) == 0 {
		return final(ctx)
	}
	return ics[0](ctx, info, func(ctx context.Context) error {
		return chain(ctx, info, ics[1:], final)
	})
}

// observed runs call between the observers' CallStart and CallEnd. An
// observer that panics is logged and skipped: a hook's bug must neither
// fail the call nor, on a server's worker, end the process.
func observed(ctx context.Context, log *slog.Logger, obs []Observer, info *CallInfo, call func(context.Context) error) error {
	info.Start = time.Now()
	if len(obs) == 0 {
		return call(ctx)
	}
	var small [4]context.Context
	ctxs := small[:0]
	for _, o := range obs {
		ctx = observerStart(ctx, log, o, info)
		ctxs = append(ctxs, ctx)
	}
	err := call(ctx)
	elapsed := time.Since(info.Start)
	for i := len(obs) - 1; i >= 0; i-- {
		observerEnd(ctxs[i], log, obs[i], info, elapsed, err)
	}
	return err
}

// observerStart runs o's CallStart; if it panics, the call goes on with ctx.
func observerStart(ctx context.Context, log *slog.Logger, o Observer, info *CallInfo) (out context.Context) {
	defer func() {
		if r := recover(); r != nil {
			observerPanicked(log, "CallStart", o, info, r)
			out = ctx
		}
	}()
	if out = o.CallStart(ctx, info); out == nil {
		out = ctx
	}
	return out
}

// observerEnd runs o's CallEnd.
func observerEnd(ctx context.Context, log *slog.Logger, o Observer, info *CallInfo, elapsed time.Duration, err error) {
	defer func() {
		if r := recover(); r != nil {
			observerPanicked(log, "CallEnd", o, info, r)
		}
	}()
	o.CallEnd(ctx, info, elapsed, err)
}

func observerPanicked(log *slog.Logger, hook string, o Observer, info *CallInfo, r any) {
	log.Error("objrmi: an observer panicked; the call went on without it: fix the observer",
		"hook", hook, "observer", fmt.Sprintf("%T", o), "method", info.Interface+"."+info.Method,
		"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
}
