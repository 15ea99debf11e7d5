package main

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Every system answers Add and Echo correctly, alone and with callers
// sharing its client, so the benchmark compares working systems.
func TestSystemsAnswerCorrectly(t *testing.T) {
	for _, sys := range systems {
		t.Run(sys.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			addr, stop, err := sys.serve()
			require.NoError(t, err)
			defer stop()
			const callers = 8
			cl, err := sys.dial(ctx, addr, callers)
			require.NoError(t, err)
			defer cl.Close()

			big := bytes.Repeat([]byte("0123456789abcdef"), 256<<10/16)
			var wg sync.WaitGroup
			for i := range callers {
				c := cl.Caller(i)
				wg.Go(func() {
					for k := range int64(50) {
						sum, err := c.Add(ctx, int64(i), k)
						if !assert.NoError(t, err) || !assert.Equal(t, int64(i)+k, sum) {
							return
						}
					}
					for _, p := range [][]byte{[]byte("hello"), big} {
						got, err := c.Echo(ctx, p)
						if !assert.NoError(t, err) || !assert.True(t, bytes.Equal(p, got), "echo of %d bytes", len(p)) {
							return
						}
					}
				})
			}
			wg.Wait()
		})
	}
}

// The medians are taken field by field, and ratios divide by the right
// floor.
func TestMediansAndRatios(t *testing.T) {
	rs := []result{
		{System: "objrmi", Workload: "W1", P50us: 30, ClientCPUus: 10, ServerCPUus: 10},
		{System: "objrmi", Workload: "W1", P50us: 10, ClientCPUus: 30, ServerCPUus: 30},
		{System: "objrmi", Workload: "W1", P50us: 20, ClientCPUus: 20, ServerCPUus: 20},
		{System: floorName, Workload: "W1", P50us: 10, ClientCPUus: 10, ServerCPUus: 10},
	}
	med := medians(rs)
	require.Len(t, med, 2)
	assert.Equal(t, 20.0, med[0].P50us)
	assert.Equal(t, 20.0, med[0].ClientCPUus)
	assert.Equal(t, "p50 2.00×, CPU 2.00×", ratioText(workloads[0], med[0], med[1]))
	assert.Equal(t, pipelinedName, floorFor(workloads[1]), "W2 divides by the pipelined floor")
	assert.Equal(t, "met", verdict(1.1, 1.15, true))
	assert.Equal(t, "MISSED by 50%", verdict(0.375, 0.75, false))
}
