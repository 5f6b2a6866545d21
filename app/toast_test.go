package app

import (
	"encoding/xml"
	"testing"
)

// Agent-written titles, bodies and labels reach the toast as text: the XML
// still parses, and reads back exactly what was written.
func TestAToastCarriesAgentTextAsTextAndItsClicksComeBack(t *testing.T) {
	hostile := `]]><script>x</script> "quoted" & $(Remove-Item C:\) 'single' <text>`
	note := Notification{Title: "Kontask: " + hostile, Body: hostile, Target: "kontask:k&1=2", Key: "kontask:k 1",
		Actions: []Action{{Key: "allow", Label: hostile}, {Key: "deny", Label: "Deny"}}}
	doc, err := toastXML(note, `C:\Users\a b\AppData\Local\konui\konui.png`)
	if err != nil {
		t.Fatal(err)
	}
	var got toastDoc
	if err := xml.Unmarshal([]byte(doc), &got); err != nil {
		t.Fatalf("the toast does not parse: %v\n%s", err, doc)
	}
	if len(got.Binding.Texts) != 2 || got.Binding.Texts[0] != note.Title || got.Binding.Texts[1] != note.Body {
		t.Fatalf("texts %q", got.Binding.Texts)
	}
	if got.Binding.Image == nil || got.Binding.Image.Src != `C:\Users\a b\AppData\Local\konui\konui.png` {
		t.Fatalf("image %+v", got.Binding.Image)
	}
	if len(got.Actions) != 2 || got.Actions[0].Content != hostile {
		t.Fatalf("actions %+v", got.Actions)
	}
	for _, c := range []struct{ args, action string }{{got.Launch, "default"}, {got.Actions[0].Arguments, "allow"}, {got.Actions[1].Arguments, "deny"}} {
		click, ok := parseToastArgs(c.args)
		if !ok || click != (Click{Target: note.Target, Key: note.Key, Action: c.action}) {
			t.Fatalf("args %q read back as %+v (ok %v)", c.args, click, ok)
		}
	}
}

func TestArgumentsKonuiDidNotWriteAreNoClick(t *testing.T) {
	for _, args := range []string{"", "https://example.com", "%zz", "target=x"} {
		if c, ok := parseToastArgs(args); ok {
			t.Errorf("parseToastArgs(%q) = %+v", args, c)
		}
	}
}
