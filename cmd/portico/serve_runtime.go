package main

import (
	"os"
	"runtime"
	"runtime/debug"
)

// defaultGCPercent is serve's garbage collection target when GOGC is unset: a request
// allocates a few KB that die at once, so collecting 4× less often (heap up to 5× the live
// set instead of 2×) trades a few MB for less CPU per request. GOGC and GOMEMLIMIT still win.
const defaultGCPercent = 400

// runtimeDefaults sets serve's Go runtime defaults where the environment does not.
//
// GOMAXPROCS: half the CPUs Go would use (at least one). A request crosses several goroutines
// (fasthttp's, the NATS client's flusher and reader, the embedded server's reader and writer
// per connection), each hand-off to another P wakes a thread, and the backends (and, in
// benchmarks, the load generator) need the other cores. Measured on 2 cores (wrk -t2 -c64,
// GET /pets/1 through NATS_PROXY): 54 -> 41 µs of portico CPU per request, more requests per
// second. GOMAXPROCS in the environment still wins.
func runtimeDefaults() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(max(1, runtime.GOMAXPROCS(0)/2))
	}
}
