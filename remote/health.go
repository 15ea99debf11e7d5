package remote

import (
	"context"
	"fmt"
	"sync"
)

//go:generate go run github.com/objrmi/objrmi/cmd/objstub -async=false -type Health

// HealthID is the well-known id of a runtime's health object (a Health),
// which every runtime exports unless Options.DisableIntrospection says not
// to. Like any object, it is subject to Options.Authorize (Interface
// "Health"). `objregistry health URL` asks it.
const HealthID = 5

// Health answers whether a runtime, or one service in it, is serving:
// for load balancers, orchestrators and `objregistry health`.
type Health interface {
	// Check reports the status of service: "" is the runtime as a whole,
	// SERVING until it begins to close. A service no one set with
	// Runtime.SetHealth fails with an application error that names it.
	Check(ctx context.Context, service string) (HealthStatus, error)
}

// HealthStatus is what Health.Check reports.
type HealthStatus string

// Health statuses, as gRPC's health protocol names them.
const (
	Serving    HealthStatus = "SERVING"
	NotServing HealthStatus = "NOT_SERVING"
)

// SetHealth sets the status Health.Check reports for service, which a
// program names as it likes ("payments"); "" overrides the runtime's own,
// for a program that is up but not ready.
func (rt *Runtime) SetHealth(service string, s HealthStatus) {
	rt.health.mu.Lock()
	defer rt.health.mu.Unlock()
	if rt.health.services == nil {
		rt.health.services = make(map[string]HealthStatus)
	}
	rt.health.services[service] = s
}

// healthTable holds the statuses SetHealth set.
type healthTable struct {
	mu       sync.Mutex
	services map[string]HealthStatus
}

// healthObject serves HealthID.
type healthObject struct{ rt *Runtime }

var healthIface = mustIface[Health]()

func (h healthObject) Check(_ context.Context, service string) (HealthStatus, error) {
	h.rt.health.mu.Lock()
	s, ok := h.rt.health.services[service]
	h.rt.health.mu.Unlock()
	switch {
	case service == "" && h.rt.isClosing():
		return NotServing, nil
	case ok:
		return s, nil
	case service == "":
		return Serving, nil
	}
	if len(service) > 64 {
		service = service[:64] + "..."
	}
	return NotServing, fmt.Errorf("no service %q here: the program sets its services' health with Runtime.SetHealth", service)
}

// exportHealth exports the runtime's Health at HealthID.
func (rt *Runtime) exportHealth() error {
	if rt.opts.DisableIntrospection {
		return nil
	}
	_, err := rt.exports.add(healthIface, healthObject{rt}, exportConfig{id: HealthID}, false)
	return err
}
