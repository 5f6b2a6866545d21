package main

import (
	"bytes"
	"encoding/xml"
	"os"
	"strings"
	"testing"
	"text/template"
)

// plistDict is one <dict> of a property list, its keys beside their values.
type plistDict struct {
	Items []plistItem `xml:",any"`
}

// plistItem is one element of a dict: a <key>, or a value (a nested
// <dict> holds its own items).
type plistItem struct {
	XMLName xml.Name
	Text    string      `xml:",chardata"`
	Items   []plistItem `xml:",any"`
}

// The macOS window's page (wails://wails) reaches the bridge on
// ws://127.0.0.1:PORT only when App Transport Security allows local
// networking: build/darwin/Info.plist, which wails build renders as a Go
// template, must say so once rendered.
func TestTheMacInfoPlistAllowsLocalNetworking(t *testing.T) {
	src, err := os.ReadFile("build/darwin/Info.plist")
	if err != nil {
		t.Fatal(err)
	}
	// The fields wails build (v2.11) hands the template: the project's
	// wails.json info, and the output file name.
	tmpl, err := template.New("Info.plist").Option("missingkey=error").Parse(string(src))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	data := map[string]any{"Name": "Konui", "OutputFilename": "konui",
		"Info": map[string]any{"ProductName": "Konui", "ProductVersion": appVersion(), "Comments": "", "Copyright": ""}}
	if err := tmpl.Execute(&out, data); err != nil {
		t.Fatalf("wails build could not render Info.plist: %v", err)
	}
	var doc struct {
		Dict plistDict `xml:"dict"`
	}
	if err := xml.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatalf("the rendered Info.plist is not XML: %v", err)
	}
	ats := value(doc.Dict, "NSAppTransportSecurity")
	if ats == nil || ats.XMLName.Local != "dict" {
		t.Fatal("Info.plist has no NSAppTransportSecurity dict")
	}
	if v := value(plistDict{Items: ats.Items}, "NSAllowsLocalNetworking"); v == nil || v.XMLName.Local != "true" {
		t.Fatalf("NSAllowsLocalNetworking is %+v, want <true/>", v)
	}
	if v := value(doc.Dict, "CFBundleShortVersionString"); v == nil || strings.TrimSpace(v.Text) != appVersion() {
		t.Fatalf("the bundle's version is %+v, want %s", v, appVersion())
	}
}

// value is the item after <key>name</key> in d.
func value(d plistDict, name string) *plistItem {
	for i := 0; i+1 < len(d.Items); i++ {
		if d.Items[i].XMLName.Local == "key" && strings.TrimSpace(d.Items[i].Text) == name {
			return &d.Items[i+1]
		}
	}
	return nil
}
