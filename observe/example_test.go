package observe_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/objrmi/objrmi/internal/testsvc"
	"github.com/objrmi/objrmi/observe"
	"github.com/objrmi/objrmi/remote"
)

// A program mounts the debug page and the metrics on an operators' mux.
func ExampleHandler() {
	calls := observe.NewCalls()
	rt, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Observers: []remote.Observer{calls}})
	defer rt.Close()
	_, _ = remote.Export[testsvc.Calculator](rt, testsvc.NewCalc(), remote.WithID(100))

	mux := http.NewServeMux()
	mux.Handle("/debug/objrmi", observe.Handler(rt, calls))
	mux.Handle("/metrics", observe.Metrics(rt, calls))

	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/debug/objrmi", nil))
	fmt.Println(rec.Code, strings.Contains(rec.Body.String(), "Calculator"))
	// Output: 200 true
}

// Calls counts each call by method and status.
func ExampleWriteMetrics() {
	ctx := context.Background()
	calls := observe.NewCalls()
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0", Observers: []remote.Observer{calls}})
	defer server.Close()
	_, _ = remote.Export[testsvc.Calculator](server, testsvc.NewCalc(), remote.WithID(100))
	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	calc, _ := remote.Dial[testsvc.Calculator](ctx, client, server.Endpoint(), 100)
	_, _ = calc.Add(ctx, 1, 2)
	_, _ = calc.Div(ctx, 1, 0)

	var b strings.Builder
	_ = observe.WriteMetrics(&b, server, calls)
	for line := range strings.Lines(b.String()) {
		if strings.HasPrefix(line, "rpc_server_call_duration_seconds_count") {
			fmt.Print(line)
		}
	}
	// Output:
	// rpc_server_call_duration_seconds_count{rpc_system_name="objrmi",rpc_method="Calculator/Add",rpc_response_status_code="OK"} 1
	// rpc_server_call_duration_seconds_count{rpc_system_name="objrmi",rpc_method="Calculator/Div",rpc_response_status_code="APPLICATION"} 1
}

func ExampleStatus() {
	fmt.Println(observe.Status(nil))
	// Output: OK
}
