// Package transport runs one objrmi connection: a multiplexed,
// bidirectional stream of frames between two runtimes.
//
// Concurrency design. Each Conn has exactly two goroutines of its own:
//
//   - the reader owns the read half. It reads frames, hands replies to the
//     waiting caller, starts a goroutine per inbound call (bounded by
//     MaxInflight, so a flood blocks the reader: back-pressure, not an
//     unbounded pile of goroutines), and applies cancels. When the
//     connection dies it is also the one that waits for the writer and
//     every inbound call, then reports the Conn closed.
//   - the writer owns the write half. It takes frames from a queue, writes
//     them into a buffer, flushes only when the queue is empty (so bursts
//     coalesce into few syscalls), and sends a ping when it has been idle
//     for a heartbeat interval.
//
// The reader's read deadline is the heartbeat timeout: a peer that sends
// nothing, not even pings, is declared dead. Death is set-once (fail): it
// records the cause, closes done, cancels every inbound call's context and
// closes the socket, which unblocks both goroutines. mu guards only the
// two maps of calls in flight; no user code runs under it.
package transport
