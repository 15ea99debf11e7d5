package transport

import "time"

// overloadRetryAfter is the pushback (wire.ErrorBody.RetryAfter) in the
// refusal of a call that found MaxInflight full: long enough for some of
// the calls in flight to finish, short enough not to idle a server that
// drains fast. A caller's retry policy waits at least this long.
const overloadRetryAfter = 20 * time.Millisecond
