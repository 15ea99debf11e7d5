package main

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/encoding/protowire"
	"storj.io/drpc"

	"github.com/objrmi/objrmi/bench/svc"
)

// drpcProto is drpc's encoding with the protobuf wire format, written by
// hand with protowire for the three messages, as protoc-gen-go would
// generate them from
//
//	message AddArgs  { int64 a = 1; int64 b = 2; }
//	message AddReply { int64 sum = 1; }
//	message Bytes    { bytes p = 1; }
//
// so that the in-process benchmark has drpc with the encoding its own
// README table used, besides drpc with objrmi's msgpack. It appends into
// drpc's buffer (MarshalAppend), as drpc's generated encoding does, and
// copies bytes fields out of the frame, as generated code does.
type drpcProto struct{}

func (e drpcProto) Marshal(msg drpc.Message) ([]byte, error) { return e.MarshalAppend(nil, msg) }

func (drpcProto) MarshalAppend(buf []byte, msg drpc.Message) ([]byte, error) {
	varint := func(num protowire.Number, v int64) {
		if v != 0 {
			buf = protowire.AppendTag(buf, num, protowire.VarintType)
			buf = protowire.AppendVarint(buf, uint64(v))
		}
	}
	switch m := msg.(type) {
	case *svc.AddArgs:
		varint(1, m.A)
		varint(2, m.B)
	case *svc.AddReply:
		varint(1, m.Sum)
	case *svc.Bytes:
		if len(m.P) > 0 {
			buf = protowire.AppendTag(buf, 1, protowire.BytesType)
			buf = protowire.AppendBytes(buf, m.P)
		}
	default:
		return nil, fmt.Errorf("drpcProto: no encoding for %T", msg)
	}
	return buf, nil
}

func (drpcProto) Unmarshal(buf []byte, msg drpc.Message) error {
	switch m := msg.(type) {
	case *svc.AddArgs:
		*m = svc.AddArgs{}
	case *svc.AddReply:
		*m = svc.AddReply{}
	case *svc.Bytes:
		*m = svc.Bytes{}
	default:
		return fmt.Errorf("drpcProto: no encoding for %T", msg)
	}
	for len(buf) > 0 {
		num, typ, n := protowire.ConsumeTag(buf)
		if n < 0 {
			return protowire.ParseError(n)
		}
		buf = buf[n:]
		var v uint64
		var p []byte
		switch typ {
		case protowire.VarintType:
			v, n = protowire.ConsumeVarint(buf)
		case protowire.BytesType:
			p, n = protowire.ConsumeBytes(buf)
		default:
			n = protowire.ConsumeFieldValue(num, typ, buf)
		}
		if n < 0 {
			return protowire.ParseError(n)
		}
		buf = buf[n:]
		switch m := msg.(type) {
		case *svc.AddArgs:
			if typ == protowire.VarintType && num == 1 {
				m.A = int64(v)
			} else if typ == protowire.VarintType && num == 2 {
				m.B = int64(v)
			}
		case *svc.AddReply:
			if typ == protowire.VarintType && num == 1 {
				m.Sum = int64(v)
			}
		case *svc.Bytes:
			if typ == protowire.BytesType && num == 1 {
				m.P = append([]byte(nil), p...)
			}
		}
	}
	return nil
}

// drpcProtoDesc is drpcDesc with the protobuf encoding.
type drpcProtoDesc struct{ drpcDesc }

func (d drpcProtoDesc) Method(n int) (string, drpc.Encoding, drpc.Receiver, any, bool) {
	rpc, _, recv, method, ok := d.drpcDesc.Method(n)
	return rpc, drpcProto{}, recv, method, ok
}

// The hand-written protobuf encoding round-trips every message, negative
// numbers and empty fields too, skips fields it does not know, and
// rejects a truncated frame.
func TestDRPCProtoEncoding(t *testing.T) {
	var e drpcProto
	for _, tc := range []struct{ in, out drpc.Message }{
		{&svc.AddArgs{A: 5, B: -1 << 40}, &svc.AddArgs{A: 9, B: 9}},
		{&svc.AddArgs{}, &svc.AddArgs{A: 9}},
		{&svc.AddReply{Sum: -7}, &svc.AddReply{}},
		{&svc.Bytes{P: []byte("payload")}, &svc.Bytes{}},
	} {
		b, err := e.Marshal(tc.in)
		require.NoError(t, err)
		require.NoError(t, e.Unmarshal(b, tc.out))
		assert.Equal(t, tc.in, tc.out)
	}
	// Field 3, unknown, between known ones.
	b := protowire.AppendTag(nil, 1, protowire.VarintType)
	b = protowire.AppendVarint(b, 3)
	b = protowire.AppendTag(b, 3, protowire.BytesType)
	b = protowire.AppendBytes(b, []byte("later"))
	b = protowire.AppendTag(b, 2, protowire.VarintType)
	b = protowire.AppendVarint(b, 4)
	var args svc.AddArgs
	require.NoError(t, e.Unmarshal(b, &args))
	assert.Equal(t, svc.AddArgs{A: 3, B: 4}, args)
	assert.Error(t, e.Unmarshal(b[:len(b)-1], &args), "truncated")

	_, err := e.Marshal(&args.A)
	assert.Error(t, err)
}
