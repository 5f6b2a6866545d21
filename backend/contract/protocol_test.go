package contract

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// docs/protocol.md is checked against the types, both ways: every event
// type, payload field, route and body field the code has is in the
// document, and everything of those the document lists is in the code.

var protocolDoc = filepath.Join("..", "..", "docs", "protocol.md")

func readDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(protocolDoc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// section is the text under the heading that starts with head, up to the
// next heading of the same or a higher level.
func section(t *testing.T, doc, head string) string {
	t.Helper()
	i := strings.Index(doc, "\n"+head)
	if i < 0 {
		t.Fatalf("docs/protocol.md has no heading %q", head)
	}
	rest := doc[i+1:]
	level := strings.Index(head, " ")
	end := regexp.MustCompile(`\n#{1,` + strconv.Itoa(level) + `} `).FindStringIndex(rest)
	if end == nil {
		return rest
	}
	return rest[:end[0]]
}

// row is one row of a Markdown table: its cells, trimmed.
type row []string

func tableRows(text string) []row {
	var out []row
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "|---") {
			continue
		}
		// A \| inside a cell is a | of the text, not a cell's border.
		cells := strings.Split(strings.ReplaceAll(strings.Trim(line, "|"), `\|`, "\x00"), " | ")
		for i := range cells {
			cells[i] = strings.ReplaceAll(strings.TrimSpace(cells[i]), "\x00", "|")
		}
		out = append(out, cells)
	}
	return out
}

var (
	backticked = regexp.MustCompile("`([^`]+)`")
	// A JSON member's name in the document: a quoted name after { or ,
	// ("behavior":"allow" names behavior; "allow" is a value).
	jsonKey  = regexp.MustCompile(`[{,]\s*"([A-Za-z][A-Za-z0-9]*)"`)
	routeRef = regexp.MustCompile(`^(GET|POST|PUT|PATCH|DELETE) (/\S*)$`)
)

func keys(text string) []string {
	var out []string
	for _, m := range jsonKey.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(out, m[1]) {
			out = append(out, m[1])
		}
	}
	return out
}

// topNames are the JSON members of t; allNames those of t and every struct
// it holds, at any depth.
func topNames(t reflect.Type) []string {
	var out []string
	for _, f := range jsonFields(deref(t)) {
		out = append(out, f.name)
	}
	return out
}

func allNames(t reflect.Type, into map[string]bool) map[string]bool {
	if into == nil {
		into = map[string]bool{}
	}
	t = deref(t)
	if t.Kind() != reflect.Struct || t == timeType {
		return into
	}
	for _, f := range jsonFields(t) {
		if !into[f.name] || f.goType.Kind() != reflect.String {
			into[f.name] = true
			allNames(f.goType, into)
		}
	}
	return into
}

func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	return t
}

// ownSection are the types the document describes under a heading of
// their own, not in every place that carries one.
var ownSection = map[reflect.Type]string{
	reflect.TypeOf(Session{}): "### Session",
	reflect.TypeOf(Kontask{}): "## Kontasks",
	reflect.TypeOf(Agent{}):   "### The Claude Code CLI",
}

func TestTheProtocolDocumentHasEveryEventAndItsFields(t *testing.T) {
	doc := readDoc(t)
	rows := tableRows(section(t, doc, "## Event stream"))
	documented := map[string]string{}
	for _, r := range rows {
		if len(r) < 2 {
			continue
		}
		for _, m := range backticked.FindAllStringSubmatch(r[0], -1) {
			documented[m[1]] = r[1]
		}
	}
	byType := map[string]Payload{}
	for _, p := range Payloads() {
		byType[p.EventType()] = p
		cell, ok := documented[p.EventType()]
		if !ok {
			t.Errorf("docs/protocol.md: the event table of \"## Event stream\" has no row for %s", p.EventType())
			continue
		}
		checkFields(t, "the "+p.EventType()+" row", cell, reflect.TypeOf(p))
	}
	for typ := range documented {
		if typ == "type" {
			continue
		}
		if _, ok := byType[typ]; !ok {
			t.Errorf("docs/protocol.md documents an event %s that backend/contract has no payload type for", typ)
		}
	}
}

// checkFields checks a description of type typ both ways: each of its
// members (and those of the structs it holds, but for those with a
// section of their own) is named in text, and each member text names is
// one of typ's, at some depth.
func checkFields(t *testing.T, where, text string, typ reflect.Type) {
	t.Helper()
	checkFieldsIn(t, where, text, text, typ)
}

// checkFieldsIn is checkFields where the members may be named in a wider
// text (a route's whole row) than the one whose members must be typ's.
func checkFieldsIn(t *testing.T, where, wide, text string, typ reflect.Type) {
	t.Helper()
	named := keys(wide)
	var walk func(reflect.Type, string)
	walk = func(rt reflect.Type, path string) {
		rt = deref(rt)
		if rt.Kind() != reflect.Struct || rt == timeType {
			return
		}
		for _, f := range jsonFields(rt) {
			if !slices.Contains(named, f.name) {
				t.Errorf("docs/protocol.md: %s does not name %s%s (%s.%s)", where, path, f.name, rt.Name(), f.name)
			}
			if _, own := ownSection[deref(f.goType)]; !own {
				walk(f.goType, path+f.name+".")
			}
		}
	}
	walk(typ, "")
	known := allNames(typ, nil)
	for _, k := range keys(text) {
		if !known[k] {
			t.Errorf("docs/protocol.md: %s names %q, which %s does not have", where, k, deref(typ).Name())
		}
	}
}

// The types with a section of their own: every member is named there
// (quoted or in backticks), and every member of their JSON examples is
// one of theirs.
func TestTheProtocolDocumentDescribesTheSharedShapes(t *testing.T) {
	doc := readDoc(t)
	for typ, head := range ownSection {
		text := section(t, doc, head)
		known := allNames(typ, nil)
		for name := range known {
			if !strings.Contains(text, `"`+name+`"`) && !strings.Contains(text, "`"+name+"`") {
				t.Errorf("docs/protocol.md: %q does not name %s's member %s", head, typ.Name(), name)
			}
		}
		for _, block := range regexp.MustCompile("(?s)```json\n(.*?)```").FindAllStringSubmatch(text, -1) {
			for _, k := range keys(block[1]) {
				if !known[k] {
					t.Errorf("docs/protocol.md: the JSON example of %q has %q, which %s does not have", head, k, typ.Name())
				}
			}
		}
	}
}

// documentedRoutes are the routes the document's tables list, with
// their body and answer cells.
func documentedRoutes(t *testing.T, doc string) map[string]row {
	out := map[string]row{}
	for _, r := range tableRows(doc) {
		for _, m := range backticked.FindAllStringSubmatch(r[0], -1) {
			if routeRef.MatchString(m[1]) {
				out[m[1]] = r
			}
		}
	}
	return out
}

// bodyElsewhere: routes whose body the document describes in a section
// rather than in the table's cell.
var bodyElsewhere = map[string]string{"POST /v1/kontasks": "### Creating"}

func TestTheProtocolDocumentHasEveryKonsoleRouteAndItsBody(t *testing.T) {
	doc := readDoc(t)
	documented := documentedRoutes(t, doc)
	inCode := map[string]bool{}
	for _, r := range KonsoleRoutes() {
		inCode[r.Pattern()] = true
		cells, ok := documented[r.Pattern()]
		if !ok {
			t.Errorf("docs/protocol.md: no table lists %s", r.Pattern())
			continue
		}
		if r.Body != nil {
			if head, ok := bodyElsewhere[r.Pattern()]; ok {
				text := section(t, doc, head) + section(t, doc, "## Kontasks")
				for _, name := range topNames(reflect.TypeOf(r.Body)) {
					if !strings.Contains(text, "`"+name+"`") && !strings.Contains(text, `"`+name+`"`) {
						t.Errorf("docs/protocol.md: %q does not name %s of the body of %s", head, name, r.Pattern())
					}
				}
			} else if len(cells) > 1 {
				checkFieldsIn(t, "the body of "+r.Pattern(), strings.Join(cells[1:], " "), cells[1], reflect.TypeOf(r.Body))
			}
		}
		if a := r.Answer; a != nil && len(cells) > 2 && len(keys(cells[2])) > 0 {
			if _, own := ownSection[reflect.TypeOf(a)]; !own {
				for _, name := range topNames(reflect.TypeOf(a)) {
					if !slices.Contains(keys(cells[2]), name) {
						t.Errorf("docs/protocol.md: the answer of %s does not name %s (%T)", r.Pattern(), name, a)
					}
				}
			}
		}
	}
	for p := range documented {
		if !strings.HasPrefix(routeRef.FindStringSubmatch(p)[2], "/api/") && !inCode[p] {
			t.Errorf("docs/protocol.md lists %s, which is not one of contract.KonsoleRoutes", p)
		}
	}
}

// KonsoleRoutes is the list of what Konsole's mux registers, no more.
func TestKonsoleRoutesAreWhatKonsoleRegisters(t *testing.T) {
	registered := registeredRoutes(t, filepath.Join("..", "konsole"))
	var listed []string
	for _, r := range KonsoleRoutes() {
		listed = append(listed, r.Pattern())
	}
	for _, p := range registered {
		if p == "/" {
			continue // the JSON 404 for every other path
		}
		if !strings.Contains(p, " ") {
			p = "POST " + p // /mcp: MCP's streamable HTTP, POST only
		}
		if !slices.Contains(listed, p) {
			t.Errorf("backend/konsole registers %s, which contract.KonsoleRoutes does not list", p)
		}
	}
	for _, p := range listed {
		if !slices.Contains(registered, p) && !slices.Contains(registered, strings.TrimPrefix(p, "POST ")) {
			t.Errorf("contract.KonsoleRoutes lists %s, which backend/konsole does not register", p)
		}
	}
}

func TestTheProtocolDocumentHasEveryBridgeRoute(t *testing.T) {
	doc := readDoc(t)
	registered := registeredRoutes(t, filepath.Join("..", "bridge"))
	for _, p := range registered {
		if p == "/" || p == "/api/" {
			continue // the dashboard's files; the JSON 404 of /api/
		}
		if method, path, ok := strings.Cut(p, " "); ok {
			// A route is listed as `METHOD /path`, or, for the
			// WebSocket, under its path with its query.
			if !strings.Contains(doc, "`"+p+"`") && !(method == "GET" && strings.Contains(doc, "`"+path+"?")) {
				t.Errorf("docs/protocol.md does not list the bridge's %s", p)
			}
			continue
		}
		if path := strings.TrimSuffix(p, "/"); !strings.Contains(doc, "`"+path) && !strings.Contains(doc, " "+path) {
			t.Errorf("docs/protocol.md does not name the bridge's %s", p)
		}
	}
	for p := range documentedRoutes(t, doc) {
		if strings.Contains(p, " /api/") && !slices.Contains(registered, p) {
			t.Errorf("docs/protocol.md lists %s, which the bridge does not register", p)
		}
	}
}

// registeredRoutes reads the patterns a package's non-test files give
// its mux: route("GET", "/v1/x", h), mux.Handle("GET /api/x", h),
// mux.HandleFunc(...), and the paths of a `for _, p := range []string{...}`
// whose body registers p.
func registeredRoutes(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var out []string
	str := func(e ast.Expr) (string, bool) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(lit.Value)
		return s, err == nil
	}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				switch fun := n.Fun.(type) {
				case *ast.Ident:
					if fun.Name == "route" && len(n.Args) == 3 {
						m, ok1 := str(n.Args[0])
						p, ok2 := str(n.Args[1])
						if ok1 && ok2 {
							out = append(out, m+" "+p)
						}
					}
				case *ast.SelectorExpr:
					if (fun.Sel.Name == "Handle" || fun.Sel.Name == "HandleFunc") && len(n.Args) == 2 {
						if p, ok := str(n.Args[0]); ok {
							out = append(out, p)
						}
					}
				}
			case *ast.RangeStmt:
				if lit, ok := n.X.(*ast.CompositeLit); ok {
					for _, e := range lit.Elts {
						if p, ok := str(e); ok && strings.HasPrefix(p, "/") {
							out = append(out, p)
						}
					}
				}
			}
			return true
		})
	}
	if len(out) == 0 {
		t.Fatalf("found no routes in %s", dir)
	}
	return out
}
