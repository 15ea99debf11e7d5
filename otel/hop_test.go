package otelobjrmi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	otelobjrmi "github.com/objrmi/objrmi/otel"
	"github.com/objrmi/objrmi/remote"
)

// Hop is the remote interface of the trace tests: a hop calls the
// runtime at next, if any, with its own context, and says who answered.
type Hop interface {
	Hop(ctx context.Context, next string) (string, error)
}

type hop struct{ rt *remote.Runtime }

func (h hop) Hop(ctx context.Context, next string) (string, error) {
	if next == "" {
		return "leaf " + h.rt.ID().String(), nil
	}
	out, err := remote.Dynamic(h.rt, remote.WellKnown(next, hopID, "Hop")).Call(ctx, "Hop", "")
	if err != nil {
		return "", err
	}
	return fmt.Sprint(out[0]), nil
}

const hopID = 100

// childEnv makes the test binary a hop server: it exports a Hop, traced
// into the file the variable names, prints its endpoint and serves until
// its stdin closes.
const childEnv = "OBJRMI_OTEL_HOP_CHILD"

func child() int {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(&fileExporter{path: os.Getenv(childEnv)}))
	defer tp.Shutdown(context.Background())
	o, err := otelobjrmi.New(otelobjrmi.WithTracerProvider(tp))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	rt, err := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Observers: []remote.Observer{o}})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer rt.Close()
	if _, err := remote.Export[Hop](rt, hop{rt}, remote.WithID(hopID)); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(rt.Endpoint())
	bufio.NewReader(os.Stdin).ReadString('\n') // until the parent closes it, or dies
	return 0
}

// startHop runs a hop server process tracing into path, and returns its
// endpoint. The process ends with the test.
func startHop(t *testing.T, path string) string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	cmd.Stderr = os.Stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(stdout).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	select {
	case ep := <-line:
		require.NotEmpty(t, ep, "the hop process printed no endpoint")
		return ep
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the hop process did not start in 30 s")
		return ""
	}
}

// spanLine is one span as fileExporter writes it.
type spanLine struct {
	Name, Kind, Trace, Span, Parent string
	Attrs                           map[string]string
}

// fileExporter appends each span, as one JSON line, to a file: the
// spans of several processes meet there.
type fileExporter struct {
	mu   sync.Mutex
	path string
}

func (e *fileExporter) ExportSpans(_ context.Context, spans []sdktrace.ReadOnlySpan) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	f, err := os.OpenFile(e.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, s := range spans {
		l := spanLine{Name: s.Name(), Kind: s.SpanKind().String(), Trace: s.SpanContext().TraceID().String(),
			Span: s.SpanContext().SpanID().String(), Attrs: map[string]string{}}
		if s.Parent().IsValid() {
			l.Parent = s.Parent().SpanID().String()
		}
		for _, a := range s.Attributes() {
			l.Attrs[string(a.Key)] = a.Value.Emit()
		}
		b, _ := json.Marshal(l)
		f.Write(append(b, '\n'))
	}
	return nil
}

func (e *fileExporter) Shutdown(context.Context) error { return nil }

func readSpans(t *testing.T, path string) []spanLine {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	var out []spanLine
	for line := range strings.Lines(string(b)) {
		var l spanLine
		require.NoError(t, json.Unmarshal([]byte(line), &l))
		out = append(out, l)
	}
	return out
}
