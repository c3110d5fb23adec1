/**
 * Edge runtimes and browsers: src/crypto never imports a Node module at run time, and without
 * `process.getBuiltinModule` and `Buffer` it falls back to the portable backend and base64 codec,
 * producing tokens the native backend reads.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { Fernet } from '../../src/crypto/index.js';

const SRC = fileURLToPath(new URL('../../src/crypto/', import.meta.url));

describe('runtime independence', () => {
  it('has no runtime import of node: modules in src/crypto', () => {
    const files = readdirSync(SRC).filter((file) => file.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const source = readFileSync(SRC + file, 'utf8');
      const runtimeImports = source.match(/^\s*import\s+(?!type\b)[^;]*from\s+['"](node:[^'"]+|crypto|buffer)['"]/gm);
      expect(runtimeImports, file).toBeNull();
      expect(source, file).not.toMatch(/\brequire\(|import\(\s*['"]node:/);
    }
  });

  it('falls back to the portable backend without process.getBuiltinModule and Buffer', () => {
    // Bundled for the browser first (which also fails on any node: import), then run by plain node with
    // the Node-only globals removed: no TypeScript loader in the way, since loaders need Buffer.
    const bundle = buildSync({ entryPoints: [`${SRC}index.ts`], bundle: true, format: 'esm', platform: 'browser', write: false });
    const folder = mkdtempSync(join(tmpdir(), 'extension-storage-edge-'));
    const file = join(folder, 'fernet.mjs');
    writeFileSync(file, bundle.outputFiles[0]!.text);
    const key = Fernet.generateKey();
    const script = `
      delete process.getBuiltinModule;
      delete globalThis.Buffer;
      const { Fernet } = await import(${JSON.stringify(pathToFileURL(file).href)});
      const fernet = new Fernet(${JSON.stringify(key)});
      let nativeError = '';
      try { new Fernet(${JSON.stringify(key)}, { backend: 'native' }); } catch (e) { nativeError = e.name; }
      console.log(JSON.stringify({ backend: fernet.backend, buffer: typeof globalThis.Buffer, nativeError, token: fernet.encrypt('edge') }));
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    rmSync(folder, { recursive: true, force: true });
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as { backend: string; buffer: string; nativeError: string; token: string };
    expect(out).toMatchObject({ backend: 'portable', buffer: 'undefined', nativeError: 'ValidationError' });
    expect(new TextDecoder().decode(new Fernet(key, { backend: 'native' }).decrypt(out.token))).toBe('edge');
  });
});
