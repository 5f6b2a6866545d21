// Package fleet is the list of remote Konsoles a konui follows besides its
// local one, and how a person's request becomes one: it implements
// bridge.Fleet (Add connects and tests before anything is stored) and
// keeps the list in konsoles.json (mode 0600, replaced atomically: it
// holds tokens).
//
// Start with Open, (*Fleet).Specs (what the bridge follows at start) and
// (*Fleet).Add. ParseTarget reads a --konsole value; ImportProfiles takes
// the desktop's old profiles.
package fleet
