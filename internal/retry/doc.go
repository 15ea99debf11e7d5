// Package retry holds the machinery behind objrmi's fault-tolerance
// policies: the resolved retry policy and its backoff, the retry budget,
// the per-endpoint circuit breaker, and the caller's call identities
// (sequence numbers with their acknowledgement) for exactly-once
// execution. The public types live in package remote; stub runs the
// attempts.
package retry
