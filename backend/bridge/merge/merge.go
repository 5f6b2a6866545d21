// Package merge makes one list out of the lists several Konsoles answered:
// each element tagged with its Konsole (which a Konsole cannot forge), in
// one order, with one cursor that continues each Konsole's own page.
//
// The bridge asks the Konsoles and answers the client (merged.go); this
// package is what it does with the answers, free of any network.
package merge

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"slices"
	"time"
)

// Tagged returns a JSON object with "konsoleId" added as its last member:
// a parser keeps the last of two equal keys, so a Konsole cannot name
// another Konsole for its own items. Anything but an object is returned as
// it is.
func Tagged(obj json.RawMessage, konsoleID string) json.RawMessage {
	obj = bytes.TrimSpace(obj)
	if len(obj) < 2 || obj[0] != '{' || obj[len(obj)-1] != '}' {
		return obj
	}
	body := bytes.TrimSpace(obj[1 : len(obj)-1])
	out := make([]byte, 0, len(obj)+len(konsoleID)+16)
	out = append(out, '{')
	out = append(out, body...)
	if len(body) > 0 {
		out = append(out, ',')
	}
	out = append(out, `"konsoleId":`...)
	out = append(out, jsonString(konsoleID)...)
	return append(out, '}')
}

// jsonString is s as a JSON string, <, > and & as they are (as the hub
// encodes its frames).
func jsonString(s string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// Item is one element of a Konsole's list, tagged, with its id and the
// time it is ordered by.
type Item struct {
	Raw json.RawMessage
	ID  string
	At  time.Time
}

// Items reads the list under key of one Konsole's answer, tagging each
// element with konsoleID and reading its "id" and its timeField. Elements
// that are not objects are left out.
func Items(answer json.RawMessage, key, timeField, konsoleID string) []Item {
	var body map[string]json.RawMessage
	// a Konsole's answer that does not decode lists nothing.
	_ = json.Unmarshal(answer, &body)
	var list []json.RawMessage
	_ = json.Unmarshal(body[key], &list)
	out := make([]Item, 0, len(list))
	for _, el := range list {
		var head map[string]json.RawMessage
		if json.Unmarshal(el, &head) != nil {
			continue
		}
		var it Item
		// a missing or malformed time or id reads as zero: the item sorts last and is not indexed.
		_ = json.Unmarshal(head[timeField], &it.At)
		_ = json.Unmarshal(head["id"], &it.ID)
		it.Raw = Tagged(el, konsoleID)
		out = append(out, it)
	}
	return out
}

// Oldest merges lists oldest first; Newest newest first. Equal times keep
// the Konsoles' order.
func Oldest(lists [][]Item) []json.RawMessage {
	all := slices.Concat(lists...)
	slices.SortStableFunc(all, func(a, c Item) int { return a.At.Compare(c.At) })
	return raws(all)
}

// Newest merges lists newest first (see Oldest).
func Newest(lists [][]Item) []json.RawMessage {
	all := slices.Concat(lists...)
	slices.SortStableFunc(all, func(a, c Item) int { return c.At.Compare(a.At) })
	return raws(all)
}

// Interleave takes each list's best in turn (each list is best first),
// up to limit: one Konsole's many hits do not push out another's best.
func Interleave(lists [][]Item, limit int) []json.RawMessage {
	out := []json.RawMessage{}
	for i := 0; len(out) < limit; i++ {
		more := false
		for _, l := range lists {
			if i < len(l) && len(out) < limit {
				out = append(out, l[i].Raw)
				more = true
			}
		}
		if !more {
			break
		}
	}
	return out
}

func raws(its []Item) []json.RawMessage {
	out := make([]json.RawMessage, len(its))
	for i, it := range its {
		out[i] = it.Raw
	}
	return out
}

// EncodeCursor is the nextCursor of a merged list: each Konsole's own
// cursor, by Konsole id, base64url of its JSON.
func EncodeCursor(c map[string]string) string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// ErrCursor is a cursor that EncodeCursor did not make.
var ErrCursor = errors.New("cursor is not one the bridge gave out (pass back nextCursor as it is)")

// DecodeCursor reads a cursor of EncodeCursor: the Konsoles to continue
// and each one's cursor.
func DecodeCursor(s string) (map[string]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	var c map[string]string
	if err == nil {
		err = json.Unmarshal(b, &c)
	}
	if err != nil || len(c) == 0 {
		return nil, ErrCursor
	}
	return c, nil
}
