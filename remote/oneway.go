package remote

import (
	"github.com/objrmi/objrmi/internal/transport"
	"github.com/objrmi/objrmi/internal/wire"
	"github.com/objrmi/objrmi/objerr"
)

// oneWayDone logs and counts a one-way call that failed: its caller is
// not waiting, so the callee's log is the only place anyone can see it.
func (s *session) oneWayDone(h *wire.CallHeader, reply *wire.Buffer) {
	d := wire.NewDecoder(reply.Bytes()[5:]) // past the length and the kind
	defer d.Release()
	var rh wire.ReturnHeader
	if wire.ReadReturn(d, &rh) != nil || rh.Code == 0 {
		return
	}
	var eb wire.ErrorBody
	_ = wire.ReadError(d, &eb)
	s.rt.sessions.oneWayFailed.Add(1)
	s.rt.log.Warn("objrmi: one-way call failed", "object", h.Object, "method", s.methodName(h),
		"caller", s.peer, "code", rh.Code.String(), "err", eb.Message)
}

// Dropped implements transport.Handler: a one-way call found no slot in
// time (MaxInflight calls were running for half a HeartbeatTimeout).
func (s *session) Dropped(c *transport.Conn, h *wire.CallHeader) {
	s.rt.sessions.oneWayDropped.Add(1)
	s.rt.log.Warn("objrmi: one-way call dropped: MaxInflight calls were running for half of HeartbeatTimeout",
		"object", h.Object, "method", s.methodName(h), "caller", s.peer, "err", objerr.ErrOverloaded)
}

// methodName names h's method for a log line.
func (s *session) methodName(h *wire.CallHeader) string {
	if e, _ := s.rt.exports.lookup(h.Object); e != nil {
		if m := e.skel.Method(h); m != nil {
			return m.Op
		}
	}
	if len(h.Name) > 64 {
		return h.Name[:64] + "..."
	}
	return h.Name
}
