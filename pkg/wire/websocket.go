package wire

// WebSocket additions (v1, additive).
//
// Every WebSocket route integration receives HeaderEventType set to one of the Event*
// values. A DISCONNECT message also carries the close status code and reason, as AWS's
// disconnectStatusCode and disconnectReason.
//
// Broadcast and groups (which AWS lacks). A backend sends a ManageRequest on SubjectConnManage:
//   - ManageJoin / ManageLeave with ConnectionID and Group: connections forwards a Delivery with
//     the same op to the owning edge, which records the socket's membership.
//   - ManageBroadcast with APIID, Stage, Data and optionally Group: connections publishes ONE
//     Delivery (no reply) to each edge that holds sockets of that API stage; each edge writes
//     Data to its sockets of the stage, or to the group's members only.
//
// Registry resync. When the connections service starts it publishes an empty message on
// SubjectConnResync; every edge answers by publishing a ConnEvent "connect" on
// SubjectConnRegister for each socket it holds, so sockets opened while the registry was down
// are not lost.
const (
	EventConnect    = "CONNECT"
	EventMessage    = "MESSAGE"
	EventDisconnect = "DISCONNECT"

	HeaderDisconnectStatusCode = "Portico-Disconnect-Status-Code"
	HeaderDisconnectReason     = "Portico-Disconnect-Reason"

	ManageJoin      = "join"
	ManageLeave     = "leave"
	ManageBroadcast = "broadcast"
	// ManageCount answers how many connections the registry holds (of APIID/Stage when set)
	// in ManageResponse.Count.
	ManageCount = "count"

	// SubjectConnResync asks every edge to re-register its sockets (publish, no reply).
	SubjectConnResync = Prefix + "connections.resync"
)
