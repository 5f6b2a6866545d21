// Package contract reads the two sides of a name list that Go and
// TypeScript each define once (event names, event types), for the tests
// that keep them the same. Only tests import it.
package contract

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// GoStrings returns the string constants declared in a Go file whose names
// start with prefix, name to value. A constant of that prefix whose value
// is not a string literal is an error: the other side could not follow it.
func GoStrings(file, prefix string) (map[string]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, decl := range f.Decls {
		g, ok := decl.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			v := spec.(*ast.ValueSpec)
			for i, name := range v.Names {
				if !strings.HasPrefix(name.Name, prefix) {
					continue
				}
				var lit *ast.BasicLit
				if i < len(v.Values) {
					lit, _ = v.Values[i].(*ast.BasicLit)
				}
				if lit == nil || lit.Kind != token.STRING {
					return nil, fmt.Errorf("%s: %s is not a string literal", file, name.Name)
				}
				out[name.Name], _ = strconv.Unquote(lit.Value)
			}
		}
	}
	return out, nil
}

var tsEntry = regexp.MustCompile(`^(\w+): '([^']+)',?$`)

// TSObject returns the entries of `export const <name> = { key: 'value', ... } as const;`
// in a TypeScript file, key to value. Blank lines and comments are
// skipped; any other line is an error, so that an entry written another
// way is not silently left out.
func TSObject(file, name string) (map[string]string, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	block := regexp.MustCompile(`(?s)export const ` + regexp.QuoteMeta(name) + ` = \{(.*?)\} as const;`).FindSubmatch(b)
	if block == nil {
		return nil, fmt.Errorf("%s has no `export const %s = {...} as const;`", file, name)
	}
	out := map[string]string{}
	for _, line := range strings.Split(string(block[1]), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "//") || strings.HasPrefix(line, "/*") || strings.HasPrefix(line, "*") {
			continue
		}
		m := tsEntry.FindStringSubmatch(line)
		if m == nil {
			return nil, fmt.Errorf("%s: %s: cannot read %q (write each entry as `name: 'value',`)", file, name, line)
		}
		out[m[1]] = m[2]
	}
	return out, nil
}
