package remote

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// The server side of metadata, interceptors and observers. ServeCall
// calls observe in place of serve; serve calls intercept in place of the
// skeleton once the rules allowed the call.

// observe serves one call with its metadata in its context, inside the
// observers, and puts the reply metadata the method set in the reply.
func (s *session) observe(ctx context.Context, c *transport.Conn, h *wire.CallHeader, args *wire.Decoder) *wire.Buffer {
	if h.Method == wire.ProbeMethod || h.Object == reservedDGC {
		return s.serve(ctx, c, h, args) // the runtime's own
	}
	if err := wire.CheckMeta(h.Meta); err != nil {
		return wire.ErrorReply(h.ID, objerr.CodeLimit, &wire.ErrorBody{
			Message: fmt.Sprintf("call metadata refused: %v (MaxMetadataPairs %d, MaxMetadataBytes %d)", err, MaxMetadataPairs, MaxMetadataBytes)})
	}
	sc := &serverCall{Context: ctx, s: s, h: h, conn: c}
	var reply *wire.Buffer
	if obs := s.rt.opts.Observers; len(obs) == 0 {
		reply = s.serve(sc, c, h, args)
	} else {
		info := sc.callInfo(c)
		observed(sc, s.rt.log, obs, info, func(ctx context.Context) error {
			reply = s.serve(ctx, c, h, args)
			return replyError(reply)
		})
	}
	sc.mu.Lock()
	sc.frozen = true
	meta := sc.reply
	sc.mu.Unlock()
	if len(meta) > 0 && reply != nil && h.Flags&wire.FlagNoReply == 0 {
		if r, err := wire.WithReplyMeta(reply, meta); err == nil {
			reply = r
		}
	}
	return reply
}

// callInfo describes the call to observers and interceptors, once.
func (sc *serverCall) callInfo(c *transport.Conn) *CallInfo {
	if sc.info != nil {
		return sc.info
	}
	h := sc.h
	info := &CallInfo{Side: ServerSide, Object: h.Object, Peer: sc.s.peer, Addr: c.RemoteAddr(),
		Principal: Principal(c.Principal()), TLS: c.TLS(), OneWay: h.Flags&wire.FlagNoReply != 0,
		Meta: Metadata{kv: h.Meta}}
	if e, _ := sc.s.rt.exports.lookup(h.Object); e != nil {
		info.Interface = e.it.Name
		if m := e.skel.Method(h); m != nil {
			info.Method = m.Name
		}
	}
	sc.info = info
	return info
}

// intercept runs the allowed call h to e inside the server interceptors.
func (s *session) intercept(ctx context.Context, e *export, h *wire.CallHeader, args *wire.Decoder) *wire.Buffer {
	ics := s.rt.opts.ServerInterceptors
	if len(ics) == 0 {
		return e.skel.Serve(ctx, h, args, &s.env)
	}
	sc := serverCallOf(ctx)
	if sc == nil {
		return e.skel.Serve(ctx, h, args, &s.env)
	}
	return s.intercepted(ctx, e, h, args, ics, sc)
}

// intercepted is intercept with interceptors. It is apart because its
// deferred recover captures reply, which then costs an allocation on
// every call, interceptors or not.
func (s *session) intercepted(ctx context.Context, e *export, h *wire.CallHeader, args *wire.Decoder,
	ics []Interceptor, sc *serverCall) (reply *wire.Buffer) {
	c, _ := callerConn(ctx)
	info := sc.callInfo(c)
	var ran error // what the method's reply said, once it ran
	defer func() {
		if r := recover(); r != nil {
			s.rt.log.Error("objrmi: a server interceptor panicked", "method", info.Interface+"."+info.Method,
				"panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			if reply != nil {
				reply.Release()
			}
			reply = wire.ErrorReply(h.ID, objerr.CodePanic, &wire.ErrorBody{Type: fmt.Sprintf("%T", r),
				Message: fmt.Sprintf("a server interceptor of %s.%s panicked: %v", info.Interface, info.Method, r)})
		}
	}()
	err := chain(ctx, info, ics, func(ctx context.Context) error {
		if reply != nil {
			return errors.New("objrmi: an interceptor called next twice; the method ran once")
		}
		reply = e.skel.Serve(ctx, h, args, &s.env)
		ran = replyError(reply)
		return ran
	})
	switch {
	case reply == nil && err == nil:
		return wire.ErrorReply(h.ID, objerr.CodeAccessDenied, &wire.ErrorBody{
			Message: fmt.Sprintf("%s.%s: a server interceptor neither ran the call nor refused it with an error", info.Interface, info.Method)})
	case reply == nil:
		return s.interceptorError(h, err, objerr.CodeAccessDenied)
	case err != ran:
		reply.Release()
		return s.interceptorError(h, err, objerr.CodeApplication)
	}
	return reply
}

// interceptorError is the reply for an error an interceptor returned:
// with its code if it is an *objerr.Error, else with code.
func (s *session) interceptorError(h *wire.CallHeader, err error, code objerr.Code) *wire.Buffer {
	if err == nil {
		return wire.ErrorReply(h.ID, objerr.CodeApplication, &wire.ErrorBody{
			Message: "a server interceptor dropped the method's error"})
	}
	if oe, ok := errors.AsType[*objerr.Error](err); ok && oe.Code != objerr.CodeUnknown {
		code = oe.Code
	}
	return wire.ErrorReply(h.ID, code, &wire.ErrorBody{AppCode: s.rt.codes.CodeFor(err),
		Type: fmt.Sprintf("%T", err), Message: fmt.Sprint(err)})
}

// replyError is the error a reply stands for, as its caller will see it
// (nil for results), for observers and interceptors on the server.
func replyError(reply *wire.Buffer) error {
	if reply == nil {
		return nil
	}
	code := wire.ReplyCode(reply)
	if code == 0 {
		return nil
	}
	eb := wire.ReplyError(reply)
	kind := objerr.KindRemote
	switch code {
	case objerr.CodeNoSuchObject, objerr.CodeNoSuchMethod, objerr.CodeBadArguments,
		objerr.CodeAccessDenied, objerr.CodeOverloaded, objerr.CodeLimit, objerr.CodeUnsupported, objerr.CodeClosed:
		kind = objerr.KindNotSent
	}
	return &objerr.Error{Kind: kind, Code: code, Reason: eb.Message, AppCode: eb.AppCode, RemoteType: eb.Type}
}
