// Package e2e holds end-to-end tests of the edge's WebSocket hub with the real connections
// service: two hubs on two NATS connections, the registry, @connections across edges,
// broadcast and groups. It is a module of its own, inside the edge's tree so that it may import
// the hub (an internal package), and apart from the edge module so that the edge never depends
// on another service: only cmd/portico and e2e tests wire services together.
package e2e
