// Package transport runs one objrmi connection: a multiplexed,
// bidirectional stream of frames between two runtimes.
//
// Concurrency design. Each Conn has one goroutine of its own, its
// reader; what else it needs comes from its runtime's Hub (hub.go):
//
//   - the reader owns the read half. It reads frames, hands replies to the
//     waiting caller, hands each inbound call to a hub worker (bounded by
//     MaxInflight: a call past it is refused, a one-way call waits), and
//     applies cancels. When the connection dies it waits for the write it
//     asked a worker for, if any, then reports the Conn stopped.
//   - frames are written by whoever sends them: a caller its call, a
//     worker its method's reply. Writers queue on a lock, and the last
//     one queued flushes, so bursts share a syscall.
//   - the hub's one timer goroutine looks at every connection each half
//     ping interval, and asks a worker for a ping when nothing was
//     written, or for the connection's closing once IdleTimeout passed
//     with no call. Owed frames (cancels, refusals) are written by a
//     worker too, so neither a caller giving up nor the reader ever waits
//     for the socket.
//
// Buffers are lazy (bufs.go): an idle connection holds no 8 KiB buffer.
//
// The reader's read deadline is the heartbeat timeout: a peer that sends
// nothing, not even pings, is declared dead. Death is set-once (fail): it
// records the cause, closes done, cancels every inbound call's context and
// closes the socket, which unblocks both goroutines. mu guards only the
// two maps of calls in flight; no user code runs under it.
package transport
