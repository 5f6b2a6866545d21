// A Vite plugin that gathers the licences of the npm packages bundled into
// the dashboard (only those whose code ends up in a chunk, the Svelte
// runtime included) into dist/third-party-licenses.json. scripts/notices
// merges it with the Go modules' licences into the notice file the package
// ships.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import type { Plugin } from 'vite';

export interface BundledPackage {
  name: string;
  version: string;
  license: string;
  files: { name: string; text: string }[];
}

const LICENSE_FILE = /^(licen[cs]e|copying|notice)($|[._-])/i;

/** The folder of the npm package a bundled module id belongs to, or null. */
export function packageRoot(id: string): string | null {
  const clean = id.split('?')[0];
  const marker = sep + 'node_modules' + sep;
  const i = clean.lastIndexOf(marker);
  if (i < 0 || clean.startsWith('\0')) return null;
  const rest = clean.slice(i + marker.length).split(sep);
  const n = rest[0].startsWith('@') ? 2 : 1;
  return clean.slice(0, i + marker.length) + rest.slice(0, n).join(sep);
}

export function licenses(): Plugin {
  return {
    name: 'konui-licenses',
    apply: 'build',
    generateBundle(_options, bundle) {
      const roots = new Set<string>();
      for (const out of Object.values(bundle)) {
        if (out.type !== 'chunk') continue;
        for (const id of Object.keys(out.modules)) {
          const root = packageRoot(id);
          if (root) roots.add(root);
        }
      }
      const pkgs: BundledPackage[] = [];
      for (const root of [...roots].sort()) {
        const meta = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
        let dir = root;
        let files = readdirSync(dir).filter((f) => LICENSE_FILE.test(f));
        // A package without its own licence file (rare) falls back to its parent's.
        while (!files.length && existsSync(join(dirname(dir), 'package.json')) && dirname(dir) !== dir) {
          dir = dirname(dir);
          files = readdirSync(dir).filter((f) => LICENSE_FILE.test(f));
        }
        if (!files.length) this.error(`the bundled npm package ${meta.name} has no licence file in ${root}`);
        pkgs.push({
          name: meta.name,
          version: meta.version,
          license: typeof meta.license === 'string' ? meta.license : JSON.stringify(meta.license ?? 'UNKNOWN'),
          files: files.sort().map((f) => ({ name: f, text: readFileSync(join(dir, f), 'utf8') })),
        });
      }
      this.emitFile({ type: 'asset', fileName: 'third-party-licenses.json', source: JSON.stringify(pkgs, null, 1) + '\n' });
    },
  };
}
