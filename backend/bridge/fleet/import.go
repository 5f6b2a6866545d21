package fleet

import (
	"strings"

	"github.com/konui/konui/backend/bridge"
)

// Profile is a Konsole profile of the desktop's settings.json before the
// fleet (app.Profile): its remotes move here, once.
type Profile struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	URL   string `json:"url"`
	Token string `json:"token"`
}

// ImportProfiles stores the remote profiles that are not stored yet (by
// URL), enabled, without testing them: a Konsole that is down today is
// still one the person set up. The local profile and profiles without a
// usable URL or token are skipped. It returns how many it stored.
func (fl *Fleet) ImportProfiles(ps []Profile) (int, error) {
	n := 0
	err := fl.change(func(f *file) error {
		for _, p := range ps {
			u, err := konsoleURL(p.URL)
			if p.ID == bridge.LocalID || err != nil || strings.TrimSpace(p.Token) == "" {
				continue
			}
			r := Remote{Name: nameOr(p.Name, hostOf(u)), URL: u, Token: strings.TrimSpace(p.Token), Enabled: true}
			if sameKonsole(f.Konsoles, r) >= 0 {
				continue
			}
			r.ID = p.ID
			if !konsoleID(r.ID) || r.ID == bridge.LocalID || index(f.Konsoles, r.ID) >= 0 || fl.isSession(r.ID) {
				r.ID = fl.freeID(f, r.Name)
			}
			f.Konsoles = append(f.Konsoles, r)
			n++
		}
		return nil
	}, nil)
	if err != nil {
		return 0, err
	}
	return n, nil
}

// konsoleID tells whether id is a valid KonsoleSpec.ID.
func konsoleID(id string) bool {
	if len(id) < 1 || len(id) > 40 {
		return false
	}
	for _, c := range id {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
