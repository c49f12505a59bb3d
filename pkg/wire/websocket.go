package wire

// WebSocket integration message additions (v1, additive).
//
// Every WebSocket route integration receives HeaderEventType set to one of the Event*
// values. A DISCONNECT message also carries the close status code and reason, as AWS's
// disconnectStatusCode and disconnectReason.
const (
	EventConnect    = "CONNECT"
	EventMessage    = "MESSAGE"
	EventDisconnect = "DISCONNECT"

	HeaderDisconnectStatusCode = "Portico-Disconnect-Status-Code"
	HeaderDisconnectReason     = "Portico-Disconnect-Reason"
)
