// No import circle anywhere in the dashboard's source: the graph is built
// from the import and export statements of every .ts and .svelte file under
// src/ (type-only imports count too: a circle of types still ties two
// modules together for a reader), and any strongly connected part of it
// fails the test with the files it goes through.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SELF = fileURLToPath(import.meta.url);
const SRC = dirname(SELF);

/** Every .ts and .svelte file under dir. */
function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    // This file quotes import statements as test data.
    else if (/\.(ts|svelte)$/.test(name) && p !== SELF) out.push(p);
  }
  return out;
}

// import x from '...', import type {x} from '...', import '...',
// export {x} from '...', export * from '...', and import('...').
const SPECIFIER = /(?:^|[\s;}])(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g;

/** The relative specifiers a source text imports from. */
export function specifiers(text: string): string[] {
  // Comments may quote an import; they are not one.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const out: string[] = [];
  for (const m of code.matchAll(SPECIFIER)) {
    const s = m[1] ?? m[2];
    if (s.startsWith('.')) out.push(s);
  }
  return out;
}

/** The file a relative specifier names, as the bundler resolves it. */
function resolveSpecifier(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  for (const p of [base, base + '.ts', base + '.svelte', base + '.js', base + '.d.ts', join(base, 'index.ts')]) {
    if (existsSync(p) && statSync(p).isFile()) return p;
  }
  return undefined;
}

/**
 * The circles of a graph: its strongly connected parts of more than one
 * node (Tarjan). A module that imports itself is no circle: that is how a
 * Svelte 5 component draws itself recursively (a subagent's rows in Row).
 */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, idx.get(w)!));
      }
    }
    if (low.get(v) === idx.get(v)) {
      const part: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        part.push(w);
      } while (w !== v);
      if (part.length > 1) out.push(part.reverse());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** The import graph of a folder of sources, keyed by path relative to it. */
export function importGraph(dir: string): { graph: Map<string, string[]>; unresolved: string[] } {
  const graph = new Map<string, string[]>();
  const unresolved: string[] = [];
  for (const file of sourceFiles(dir)) {
    const edges: string[] = [];
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      const to = resolveSpecifier(file, spec);
      if (!to) unresolved.push(`${relative(dir, file)} -> ${spec}`);
      // Only edges within the folder can close a circle in it.
      else if (to.startsWith(dir)) edges.push(relative(dir, to));
    }
    graph.set(relative(dir, file), edges);
  }
  return { graph, unresolved };
}

describe('the import graph', () => {
  it('reads every kind of import statement and skips package imports and comments', () => {
    const text = [
      "import { a } from './a';",
      "import type { B } from '../b.svelte';",
      "import './side-effect';",
      "export { c } from './c';",
      "export * from './d';",
      "const m = import('./e.svelte');",
      "import x, {\n  y,\n  z,\n} from './multi';",
      "import { mount } from 'svelte';",
      "// import { no } from './commented';",
      "/* import { nor } from './block'; */",
    ].join('\n');
    expect([...specifiers(text)].sort()).toEqual(['../b.svelte', './a', './c', './d', './e.svelte', './multi', './side-effect']);
  });

  it('finds a circle of two and a longer one, and nothing in a tree or a self-import', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['a', 'c']],
      ['c', ['d']],
      ['d', ['e']],
      ['e', ['c']],
      ['f', ['f']],
      ['g', ['h']],
      ['h', []],
    ]);
    expect(cycles(g).map((c) => [...c].sort())).toEqual([['c', 'd', 'e'], ['a', 'b']]);
    expect(cycles(new Map([['x', ['y', 'z']], ['y', ['z']], ['z', []]]))).toEqual([]);
  });

  it('of frontend/src has no circle and every relative import names a file', () => {
    const { graph, unresolved } = importGraph(SRC);
    expect(graph.size).toBeGreaterThan(50);
    expect(unresolved).toEqual([]);
    expect(cycles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });
});
