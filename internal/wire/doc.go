// Package wire is the objrmi protocol at the byte level: the handshake,
// length-prefixed frames, message kinds and their headers, and the wire
// form of a remote reference. It knows nothing about connections, objects
// or reflection; everything above it builds on these definitions.
//
// A connection starts with a handshake in each direction:
//
//	"ORMI" | version byte | frame(hello)
//
// after which both sides exchange frames:
//
//	uint32 big-endian length | kind byte | msgpack header fields | payload
//
// A call header is the call id (always a fixed 9-byte msgpack uint64, so a
// connection can stamp it after the stub has encoded the frame), the object
// number, the method hash and the remaining timeout in nanoseconds. A zero
// method hash is followed by the method name, for dynamic calls.
package wire
