package app

import (
	"encoding/xml"
	"fmt"
	"net/url"
)

// The toast XML of Windows notifications (ToastNotifier), built here in
// plain Go so that it is tested on Linux. Titles and bodies are agent
// written: encoding/xml escapes them, and no shell or script ever sees
// them (go-toast's Notification.Push would fall back to a PowerShell
// script whose here-string expands $(...), so it is not used).

type toastDoc struct {
	XMLName        xml.Name      `xml:"toast"`
	ActivationType string        `xml:"activationType,attr"`
	Launch         string        `xml:"launch,attr"`
	Duration       string        `xml:"duration,attr"`
	Binding        toastBinding  `xml:"visual>binding"`
	Audio          toastAudio    `xml:"audio"`
	Actions        []toastAction `xml:"actions>action,omitempty"`
}

type toastBinding struct {
	Template string      `xml:"template,attr"`
	Image    *toastImage `xml:"image,omitempty"`
	Texts    []string    `xml:"text"`
}

type toastImage struct {
	Placement string `xml:"placement,attr"`
	Src       string `xml:"src,attr"`
}

type toastAudio struct {
	Src string `xml:"src,attr"`
}

type toastAction struct {
	ActivationType string `xml:"activationType,attr"`
	Content        string `xml:"content,attr"`
	Arguments      string `xml:"arguments,attr"`
}

// toastXML is the toast of note: its title and body, its buttons, and
// the arguments each one (and the toast itself, "default") reports back
// on a click (toastArgs). icon is a PNG file's absolute path, or "".
func toastXML(note Notification, icon string) (string, error) {
	d := toastDoc{ActivationType: "foreground", Launch: toastArgs(note, "default"), Duration: "short",
		Binding: toastBinding{Template: "ToastGeneric", Texts: []string{note.Title, note.Body}},
		Audio:   toastAudio{Src: "ms-winsoundevent:Notification.Default"}}
	if icon != "" {
		d.Binding.Image = &toastImage{Placement: "appLogoOverride", Src: icon}
	}
	for _, a := range note.Actions {
		d.Actions = append(d.Actions, toastAction{ActivationType: "foreground", Content: a.Label, Arguments: toastArgs(note, a.Key)})
	}
	b, err := xml.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("failed to build a notification: %w", err)
	}
	return string(b), nil
}

// toastArgs are the activation arguments of one part of note's toast:
// what the click reports (Click) as a query string.
func toastArgs(note Notification, action string) string {
	return url.Values{"target": {note.Target}, "key": {note.Key}, "action": {action}}.Encode()
}

// parseToastArgs reads the arguments a toast was activated with back
// into a Click; ok is false for arguments konui did not write.
func parseToastArgs(args string) (Click, bool) {
	v, err := url.ParseQuery(args)
	if err != nil || !v.Has("action") {
		return Click{}, false
	}
	return Click{Target: v.Get("target"), Key: v.Get("key"), Action: v.Get("action")}, true
}
