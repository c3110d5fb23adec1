/**
 * Edge runtimes and browsers: src/crypto never imports a Node module at run time, and without
 * `process.getBuiltinModule` and `Buffer` it falls back to the portable backend and base64 codec,
 * producing tokens the native backend reads.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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
    const key = Fernet.generateKey();
    const script = `
      delete process.getBuiltinModule;
      delete globalThis.Buffer;
      const { Fernet } = await import(${JSON.stringify(`${SRC}index.ts`)});
      const fernet = new Fernet(${JSON.stringify(key)});
      let nativeError = '';
      try { new Fernet(${JSON.stringify(key)}, { backend: 'native' }); } catch (e) { nativeError = e.name; }
      console.log(JSON.stringify({ backend: fernet.backend, buffer: typeof globalThis.Buffer, nativeError, token: fernet.encrypt('edge') }));
    `;
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    const out = JSON.parse(result.stdout) as { backend: string; buffer: string; nativeError: string; token: string };
    expect(out).toMatchObject({ backend: 'portable', buffer: 'undefined', nativeError: 'ValidationError' });
    expect(new TextDecoder().decode(new Fernet(key, { backend: 'native' }).decrypt(out.token))).toBe('edge');
  });
});
