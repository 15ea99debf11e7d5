package remote_test

import (
	"context"
	"fmt"

	"github.com/objrmi/objrmi/remote"
)

// Every runtime answers health checks at HealthID; a program sets the
// status of its own services.
func ExampleRuntime_SetHealth() {
	server, _ := remote.NewRuntime(remote.Options{Listen: "127.0.0.1:0"})
	defer server.Close()
	server.SetHealth("payments", remote.NotServing) // not ready yet

	client, _ := remote.NewRuntime(remote.Options{})
	defer client.Close()
	ctx := context.Background()
	h, err := remote.Dial[remote.Health](ctx, client, server.Endpoint(), remote.HealthID)
	if err != nil {
		fmt.Println(err)
		return
	}
	self, _ := h.Check(ctx, "")
	payments, _ := h.Check(ctx, "payments")
	fmt.Println(self, payments)
	// Output: SERVING NOT_SERVING
}
