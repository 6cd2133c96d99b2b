// sim/ never imports policies/ (DESIGN "Engine shape"; README "Architecture"): the engine sees
// policies only through the catalog (sim/policy-catalog.ts) that policies/registry.ts fills. This
// test reads every module under sim/ with a small TypeScript tokenizer (comments, strings, template
// literals and regular expressions told apart) and fails on any import of a file under policies/ —
// static, type-only, side-effect, re-export, dynamic import(), require() — or any path literal
// that points there (a `new URL('../policies/…', import.meta.url)` or a path kept in a variable).

import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const POLICIES_DIR = join(ROOT, 'policies');

type Tok = { kind: 'id' | 'punct' | 'string' | 'template'; text: string; line: number };

/** Identifiers, punctuators and string / template-chunk values of a TS source; comments and regexes dropped. */
function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  const braces: number[] = []; // per open template substitution: the brace depth where `}` resumes the template
  let depth = 0;
  let line = 1;
  let i = 0;
  const regexMayFollow = () => {
    const t = out[out.length - 1];
    if (!t) return true;
    if (t.kind === 'punct') return !(t.text === ')' || t.text === ']' || t.text === '}');
    if (t.kind === 'id') return /^(return|typeof|case|do|else|in|of|new|delete|void|throw|instanceof|yield|await)$/.test(t.text);
    return false;
  };
  const readTemplateChunk = (): void => {
    // i is just after ` or after the } that closes a substitution
    let text = '';
    const start = line;
    while (i < src.length) {
      const c = src[i];
      if (c === '\\') { text += src.slice(i, i + 2); i += 2; continue; }
      if (c === '`') { i++; out.push({ kind: 'template', text, line: start }); return; }
      if (c === '$' && src[i + 1] === '{') { i += 2; out.push({ kind: 'template', text, line: start }); braces.push(depth); depth++; return; }
      if (c === '\n') line++;
      text += c;
      i++;
    }
  };
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') { line++; i++; continue; }
    if (/\s/.test(c)) { i++; continue; }
    if (c === '/' && src[i + 1] === '/') { while (i < src.length && src[i] !== '\n') i++; continue; }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      for (let k = i; k < stop; k++) if (src[k] === '\n') line++;
      i = stop;
      continue;
    }
    if (c === '"' || c === "'") {
      let text = '';
      i++;
      while (i < src.length && src[i] !== c && src[i] !== '\n') {
        if (src[i] === '\\') { text += src[i + 1]; i += 2; } else text += src[i++];
      }
      i++;
      out.push({ kind: 'string', text, line });
      continue;
    }
    if (c === '`') { i++; readTemplateChunk(); continue; }
    if (c === '/' && regexMayFollow()) {
      let inClass = false;
      i++;
      while (i < src.length && src[i] !== '\n') {
        const r = src[i];
        if (r === '\\') { i += 2; continue; }
        if (r === '[') inClass = true;
        else if (r === ']') inClass = false;
        else if (r === '/' && !inClass) break;
        i++;
      }
      i++;
      while (i < src.length && /[a-z]/i.test(src[i])) i++; // flags
      continue;
    }
    if (/[A-Za-z_$]/.test(c)) {
      let j = i + 1;
      while (j < src.length && /[\w$]/.test(src[j])) j++;
      out.push({ kind: 'id', text: src.slice(i, j), line });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c)) { let j = i + 1; while (j < src.length && /[\w.]/.test(src[j])) j++; out.push({ kind: 'id', text: src.slice(i, j), line }); i = j; continue; }
    if (c === '{') depth++;
    if (c === '}') {
      if (braces.length > 0 && braces[braces.length - 1] === depth - 1) { depth--; braces.pop(); i++; readTemplateChunk(); continue; }
      depth--;
    }
    out.push({ kind: 'punct', text: c, line });
    i++;
  }
  return out;
}

interface ModuleRef { specifier: string; line: number; how: 'import' | 'from' | 'import()' | 'require()' | 'import(computed)' }

/** Every module a source loads: `import '…'`, `… from '…'`, `import('…')`, `require('…')`; a computed import() too. */
function importsOf(src: string): ModuleRef[] {
  const t = tokenize(src);
  const out: ModuleRef[] = [];
  for (let k = 0; k < t.length; k++) {
    const a = t[k];
    if (a.kind !== 'id') continue;
    const prevDot = t[k - 1]?.kind === 'punct' && t[k - 1].text === '.';
    if (prevDot) continue; // obj.import / obj.from / obj.require are properties
    if (a.text === 'import' && t[k + 1]?.kind === 'string') out.push({ specifier: t[k + 1].text, line: a.line, how: 'import' });
    else if (a.text === 'from' && t[k + 1]?.kind === 'string') out.push({ specifier: t[k + 1].text, line: a.line, how: 'from' });
    else if ((a.text === 'import' || a.text === 'require') && t[k + 1]?.text === '(') {
      const arg = t[k + 2];
      const literal = arg && (arg.kind === 'string' || arg.kind === 'template') && (t[k + 3]?.text === ')' || t[k + 3]?.text === ',');
      if (literal) out.push({ specifier: arg.text, line: a.line, how: a.text === 'import' ? 'import()' : 'require()' });
      else if (a.text === 'import') out.push({ specifier: '', line: a.line, how: 'import(computed)' });
    }
  }
  return out;
}

/** Does this specifier or path literal, seen from `file`, name something under policies/? */
function intoPolicies(file: string, spec: string): boolean {
  const path = spec.startsWith('file:') ? fileURLToPath(spec) : spec;
  if (path.startsWith('.') || path.startsWith('/')) {
    const target = resolve(dirname(file), path);
    return target === POLICIES_DIR || target.startsWith(POLICIES_DIR + sep);
  }
  return /(^|\/)policies\/[\w./-]*\.(m|c)?[tj]s$/.test(path); // a bare or package path into policies/
}

function simFiles(): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (/\.(m|c)?[tj]s$/.test(e.name)) out.push(join(d, e.name));
    }
  };
  walk(join(ROOT, 'sim'));
  return out.sort();
}

describe('the tokenizer finds every form of import and nothing in comments, strings or regexes', () => {
  const SAMPLE = [
    "import type { A } from '../policies/policy.ts';",
    "import { b } from \"./b.ts\";",
    "import './side-effect.ts';",
    "export * from '../policies/registry.ts';",
    "export { c } from './c.ts';",
    'const d = await import(`./d.ts`);',
    "type E = typeof import('./e.ts');",
    "const f = require('./f.cjs');",
    'const g = await import(name);',
    "// import x from './commented.ts';",
    "/* import('./block-commented.ts') */",
    "const s = \"import y from './in-a-string.ts'\";",
    "const re = /import z from '.\\/in-a-regex.ts'/;",
    "const tpl = `from '${'./in-a-substitution.ts'}' and import('./in-template-text.ts')`;",
    'const o = { from: 1 }; o.import = 2;',
  ].join('\n');

  it('lists static, type-only, side-effect, re-export, dynamic, typeof import and require specifiers with their lines', () => {
    expect(importsOf(SAMPLE).map((r) => `${r.line} ${r.how} ${r.specifier}`)).toEqual([
      '1 from ../policies/policy.ts',
      '2 from ./b.ts',
      '3 import ./side-effect.ts',
      '4 from ../policies/registry.ts',
      '5 from ./c.ts',
      '6 import() ./d.ts',
      '7 import() ./e.ts',
      '8 require() ./f.cjs',
      '9 import(computed) ',
    ]);
  });

  it('keeps string values (so a path kept in a variable is still seen) and drops comments and regexes', () => {
    const strings = tokenize(SAMPLE).filter((t) => t.kind !== 'id' && t.kind !== 'punct').map((t) => t.text);
    expect(strings).toContain("import y from './in-a-string.ts'");
    expect(strings).toContain('./in-a-substitution.ts');
    expect(strings.some((s) => s.includes('commented') || s.includes('in-a-regex'))).toBe(false);
  });

  it('a path into policies/ is recognised from sim/, relative, absolute, as a file URL or a package path', () => {
    const f = join(ROOT, 'sim', 'x.ts');
    expect(intoPolicies(f, '../policies/registry.ts')).toBe(true);
    expect(intoPolicies(f, './../policies/lib/kernel.ts')).toBe(true);
    expect(intoPolicies(f, join(ROOT, 'policies', 'tpp.ts'))).toBe(true);
    expect(intoPolicies(f, new URL('../policies/tpp.ts', `file://${f}`).href)).toBe(true);
    expect(intoPolicies(f, 'tiersim/policies/registry.ts')).toBe(true);
    expect(intoPolicies(f, './policy-catalog.ts')).toBe(false);
    expect(intoPolicies(f, 'Placement policy (file name under policies/).')).toBe(false);
  });
});

describe('sim/ never imports policies/', () => {
  const files = simFiles();
  const sources = new Map(files.map((f) => [f, readFileSync(f, 'utf8')]));

  it('reads the engine (sanity: the walk finds sim/run.ts and sim/cli.ts and their imports)', () => {
    const names = files.map((f) => relative(ROOT, f));
    expect(names).toContain(join('sim', 'run.ts'));
    expect(names).toContain(join('sim', 'cli.ts'));
    expect(importsOf(readFileSync(join(ROOT, 'sim', 'run.ts'), 'utf8')).map((r) => r.specifier)).toContain('./policy-catalog.ts');
  });

  it('no module under sim/ imports (statically, dynamically or by require) anything under policies/, nor a computed specifier', () => {
    const bad: string[] = [];
    for (const [f, src] of sources) {
      for (const r of importsOf(src)) {
        // A computed import() could load anything: sim/ has none (sweep workers get their modules in a boot script).
        if (r.how === 'import(computed)') bad.push(`${relative(ROOT, f)}:${r.line} import() of a computed specifier`);
        else if (intoPolicies(f, r.specifier)) bad.push(`${relative(ROOT, f)}:${r.line} ${r.how} '${r.specifier}'`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('no string or template literal under sim/ holds a path into policies/ (no import hidden in a variable or a URL)', () => {
    const bad: string[] = [];
    for (const [f, src] of sources) {
      for (const t of tokenize(src)) {
        if ((t.kind === 'string' || t.kind === 'template') && intoPolicies(f, t.text.trim())) bad.push(`${relative(ROOT, f)}:${t.line} '${t.text}'`);
      }
    }
    expect(bad).toEqual([]);
  });
});
