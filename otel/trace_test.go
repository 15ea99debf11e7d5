package otelobjrmi_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	otelobjrmi "github.com/objrmi/objrmi/otel"
	"github.com/objrmi/objrmi/remote"
)

// One trace covers a call from this process to a second, and the call
// the second makes to a third: three processes, each with its own
// tracer, linked only by the trace context in the calls' metadata.
func TestTraceAcrossThreeProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spans.jsonl")
	third := startHop(t, path)
	second := startHop(t, path)

	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(&fileExporter{path: path}))
	defer tp.Shutdown(context.Background())
	o, err := otelobjrmi.New(otelobjrmi.WithTracerProvider(tp))
	require.NoError(t, err)
	rt, err := remote.NewRuntime(remote.Options{Observers: []remote.Observer{o}})
	require.NoError(t, err)
	defer rt.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	ctx, root := tp.Tracer("test").Start(ctx, "root")
	out, err := remote.Dynamic(rt, remote.WellKnown(second, hopID, "Hop")).Call(ctx, "Hop", third)
	root.End()
	require.NoError(t, err)
	require.Contains(t, out[0], "leaf")

	// Spans are written as they end, and each server span ends before its
	// reply is sent: all five are in the file now.
	spans := readSpans(t, path)
	require.Len(t, spans, 5, "root and a client span here, a server and a client span in the second, a server span in the third: %v", spans)
	byID := map[string]spanLine{}
	for _, s := range spans {
		assert.Equal(t, spans[0].Trace, s.Trace, "every span in one trace: %+v", s)
		byID[s.Span] = s
	}
	// Walk from the third process's server span up to the root.
	var leaf spanLine
	for _, s := range spans {
		if s.Kind == "server" && s.Parent != "" && byID[byID[s.Parent].Parent].Kind == "server" {
			leaf = s
		}
	}
	require.NotEmpty(t, leaf.Span, "no server span whose parent's parent is a server span: %v", spans)
	chain := []string{}
	for s := leaf; ; s = byID[s.Parent] {
		chain = append(chain, s.Kind+" "+s.Name)
		if s.Parent == "" {
			break
		}
		require.Contains(t, byID, s.Parent, "a parent outside the trace")
	}
	assert.Equal(t, []string{"server Hop/Hop", "client Hop/Hop", "server Hop/Hop", "client Hop/Hop", "internal root"}, chain)
	assert.Equal(t, "objrmi", leaf.Attrs["rpc.system.name"])
	assert.Equal(t, "OK", leaf.Attrs["rpc.response.status_code"])
}

// With WithUntrustedRemote, a server starts a new trace, linked to the
// caller's span rather than its child.
func TestUntrustedRemoteStartsANewTrace(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())
	so, err := otelobjrmi.New(otelobjrmi.WithTracerProvider(tp), otelobjrmi.WithUntrustedRemote())
	require.NoError(t, err)
	co, err := otelobjrmi.New(otelobjrmi.WithTracerProvider(tp))
	require.NoError(t, err)
	srv, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Observers: []remote.Observer{so}})
	require.NoError(t, err)
	defer srv.Close()
	_, err = remote.Export[Hop](srv, hop{srv}, remote.WithID(hopID))
	require.NoError(t, err)
	cli, err := remote.NewRuntime(remote.Options{Observers: []remote.Observer{co}})
	require.NoError(t, err)
	defer cli.Close()
	_, err = remote.Dynamic(cli, remote.WellKnown(srv.Endpoint(), hopID, "Hop")).Call(context.Background(), "Hop", "")
	require.NoError(t, err)

	ended := rec.Ended()
	require.Len(t, ended, 2)
	server, client := ended[0], ended[1]
	assert.Equal(t, "server", server.SpanKind().String())
	assert.NotEqual(t, client.SpanContext().TraceID(), server.SpanContext().TraceID())
	require.Len(t, server.Links(), 1)
	assert.Equal(t, client.SpanContext().SpanID(), server.Links()[0].SpanContext.SpanID())
}
