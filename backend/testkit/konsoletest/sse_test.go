package konsoletest

import (
	"strings"
	"testing"
)

func readAll(t *testing.T, stream string) ([]Event, error) {
	t.Helper()
	c := make(chan Event, 16)
	err := ReadSSE(strings.NewReader(stream), c)
	close(c)
	var got []Event
	for e := range c {
		got = append(got, e)
	}
	return got, err
}

func TestReadSSEDecodesEachEventWithItsIDAndType(t *testing.T) {
	stream := "id: 7\nevent: text.delta\ndata: {\"id\":7,\"type\":\"text.delta\",\"turnId\":\"t1\",\"at\":\"2026-12-01T00:00:00Z\",\"data\":{\"text\":\"hi\"}}\n\n" +
		": a comment, no data\n\n" +
		"event: heartbeat\ndata: {\"type\":\"heartbeat\",\"at\":\"2026-12-01T00:00:01Z\",\"data\":{}}\n\n"
	got, err := readAll(t, stream)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %d events: %+v", len(got), got)
	}
	if e := got[0]; e.SSEID != "7" || e.SSEType != "text.delta" || e.ID != 7 || e.TurnID != "t1" || e.DataMap()["text"] != "hi" {
		t.Errorf("first event %+v", e)
	}
	if e := got[1]; e.SSEID != "" || e.SSEType != "heartbeat" || e.Type != "heartbeat" {
		t.Errorf("heartbeat %+v", e)
	}
}

func TestReadSSEDropsAnEventTheStreamEndsIn(t *testing.T) {
	whole := "id: 1\nevent: message\ndata: {\"id\":1,\"type\":\"message\",\"at\":\"2026-12-01T00:00:00Z\",\"data\":{}}\n\n"
	got, err := readAll(t, whole+"id: 2\nevent: message\ndata: {\"id\":2,\"ty")
	if err != nil || len(got) != 1 || got[0].ID != 1 {
		t.Fatalf("cut stream: %v %+v", err, got)
	}
	if got, err := readAll(t, whole+whole); err != nil || len(got) != 2 {
		t.Fatalf("whole stream: %v %+v", err, got)
	}
}

func TestReadSSEFailsOnDataThatIsNotAnEvent(t *testing.T) {
	if _, err := readAll(t, "id: 1\ndata: not json\n\n"); err == nil || !strings.Contains(err.Error(), "bad event data") {
		t.Fatalf("err = %v", err)
	}
}

// The fields as the SSE specification reads them: no space after the
// colon, CRLF line ends, data split over lines (joined by a newline).
func TestReadSSEReadsFieldsAsTheSpecificationDoes(t *testing.T) {
	stream := "id:3\r\nevent:message\r\ndata:{\"id\":3,\"type\":\"message\",\r\ndata: \"at\":\"2026-12-01T00:00:00Z\",\"data\":{\"text\":\"a\"}}\r\n\r\n"
	got, err := readAll(t, stream)
	if err != nil || len(got) != 1 {
		t.Fatalf("got %+v, %v", got, err)
	}
	if e := got[0]; e.SSEID != "3" || e.SSEType != "message" || e.ID != 3 || e.DataMap()["text"] != "a" {
		t.Errorf("event %+v", e)
	}
}
