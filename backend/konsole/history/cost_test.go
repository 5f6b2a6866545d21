package history

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func costState(id string, total float64) string {
	return fmt.Sprintf(`{"type":"cost-state","sessionId":%q,"totalCostUSD":%v,"modelUsage":{}}`, id, total)
}

// The newest cost-state entry of the conversation's own id is its cost,
// however far back it is and wherever the chunks Cost reads cut the file.
func TestCostIsTheNewestCostStateOfTheConversation(t *testing.T) {
	home := t.TempDir()
	id, other := "0c0e5d1e-conv", "f0rk-of-it"
	filler := `{"type":"assistant","uuid":"a","message":{"role":"assistant","content":[{"type":"text","text":"` + strings.Repeat("z", 1000) + `"}]}}`
	for _, pad := range []int{0, 1, 300, 700} {
		var b strings.Builder
		b.WriteString(costState(id, 0.0008) + "\n")
		for i := 0; i < pad; i++ {
			b.WriteString(filler + "\n")
		}
		b.WriteString(costState(id, 0.0024) + "\n")
		for i := 0; i < pad; i++ {
			b.WriteString(filler + "\n")
		}
		// A fork's process writes its own id's entry: not this one's cost.
		b.WriteString(costState(other, 9) + "\n")
		b.WriteString(`{"type":"user","uuid":"u","message":{"role":"user","content":"mentions \"type\":\"cost-state\" in text"}}` + "\n")
		write(t, home, "-src-app", id, b.String(), time.Now())
		cost, ok, err := Cost(home, id)
		if err != nil || !ok || cost != 0.0024 {
			t.Fatalf("pad %d: Cost = %v, %v, %v; want 0.0024", pad, cost, ok, err)
		}
	}
	write(t, home, "-src-app", "no-cost-yet", filler+"\n", time.Now())
	if cost, ok, err := Cost(home, "no-cost-yet"); ok || err != nil || cost != 0 {
		t.Fatalf("a conversation without a cost-state: %v, %v, %v", cost, ok, err)
	}
	if _, ok, err := Cost(home, "missing"); ok || err != nil {
		t.Fatalf("a missing conversation: %v, %v", ok, err)
	}
}
