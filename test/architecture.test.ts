/**
 * Layering, by scanning import specifiers in the source:
 * - checker/engine/ imports neither `xstate` nor any file outside checker/engine/;
 * - checker/ imports nothing from models/ or specs/;
 * - models/ imports nothing from checker/.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = /\.(?:[cm]?ts|tsx|[cm]?js|jsx)$/;

function filesUnder(dir: string): string[] {
  const abs = join(ROOT, dir);
  return readdirSync(abs).flatMap((name) => {
    if (name === 'node_modules' || name.startsWith('.')) return [];
    const path = join(abs, name);
    if (statSync(path).isDirectory()) return filesUnder(relative(ROOT, path));
    return SOURCE.test(name) ? [relative(ROOT, path)] : [];
  });
}

/**
 * Every module specifier a source imports or re-exports: static `import ... from`, multi-line
 * and type-only imports, side-effect `import '...'`, `export ... from`, dynamic `import('...')`
 * and `require('...')`. Comments are removed first so that prose does not count.
 */
function importSpecifiers(source: string): string[] {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const found: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
    /\brequire\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
  ];
  for (const re of patterns) for (const m of code.matchAll(re)) found.push(m[1]!);
  return found;
}

/** Where a specifier points: a repository-relative path for relative ones, else the package. */
function target(file: string, spec: string): { path: string } | { pkg: string } {
  if (spec.startsWith('.') || spec.startsWith('/')) return { path: relative(ROOT, resolve(ROOT, dirname(file), spec)).split(sep).join('/') };
  return { pkg: spec };
}

const under = (path: string, dir: string): boolean => path === dir || path.startsWith(`${dir}/`);

function violations(dir: string, forbidden: (t: { path: string } | { pkg: string }) => boolean): string[] {
  const files = filesUnder(dir);
  expect(files.length, `no source files under ${dir}/`).toBeGreaterThan(0);
  return files.flatMap((f) =>
    importSpecifiers(readFileSync(join(ROOT, f), 'utf8'))
      .filter((s) => forbidden(target(f, s)))
      .map((s) => `${f} imports '${s}'`),
  );
}

const isXState = (pkg: string): boolean => pkg === 'xstate' || pkg.startsWith('xstate/') || pkg.startsWith('@xstate/');

describe('architecture: import layering', () => {
  it('checker/engine/ imports neither xstate nor anything outside checker/engine/', () => {
    expect(violations('checker/engine', (t) => ('pkg' in t ? isXState(t.pkg) : !under(t.path, 'checker/engine')))).toEqual([]);
  });

  it('checker/ imports nothing from models/ or specs/', () => {
    expect(violations('checker', (t) => 'path' in t && (under(t.path, 'models') || under(t.path, 'specs')))).toEqual([]);
  });

  it('models/ imports nothing from checker/', () => {
    expect(violations('models', (t) => 'path' in t && under(t.path, 'checker'))).toEqual([]);
  });
});

describe('architecture: the import scanner itself', () => {
  it('finds every import form, and ignores comments and strings that are not imports', () => {
    const source = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      'import {',
      '  c,',
      '  type D,',
      "} from \"../../models/kvm.ts\";",
      "import 'side-effect';",
      "export { e } from './e.ts';",
      "export * from './f.ts';",
      "const g = await import('./g.ts');",
      "const h = require('xstate');",
      "import * as i from '@xstate/graph';",
      "// import { x } from './commented.ts';",
      "/* import { y } from './block.ts'; */",
      "const s = 'not an import from here';",
      "const url = 'http://example.com/x';",
    ].join('\n');
    expect(importSpecifiers(source)).toEqual(
      expect.arrayContaining(['./a.ts', '../b.ts', '../../models/kvm.ts', 'side-effect', './e.ts', './f.ts', './g.ts', 'xstate', '@xstate/graph']),
    );
    expect(importSpecifiers(source)).toHaveLength(9);
  });

  it('resolves relative specifiers against the importing file', () => {
    expect(target('checker/engine/explore.ts', '../xstate/compile.ts')).toEqual({ path: 'checker/xstate/compile.ts' });
    expect(target('checker/xstate/compile.ts', '../../models/kvm.ts')).toEqual({ path: 'models/kvm.ts' });
    expect(target('models/kvm.ts', 'xstate')).toEqual({ pkg: 'xstate' });
    expect(under('checker/engineering/x.ts', 'checker/engine')).toBe(false);
  });
});
