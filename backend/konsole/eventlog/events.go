package eventlog

import "github.com/konui/konui/backend/contract"

// Event is one entry of the event stream, as sent in the SSE data line;
// its types and their payloads are declared in backend/contract.
type Event = contract.Event
