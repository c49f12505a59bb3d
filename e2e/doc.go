// Package e2e holds end-to-end tests that wire several services together, which only
// cmd/portico and this module may do: the edge's WebSocket hub (services/edge/ws) with the
// real connections service — two hubs on two NATS connections, the registry, @connections
// across edges, broadcast and groups.
package e2e
