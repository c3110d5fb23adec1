// Type-checks a strict consumer of the built package (test/types/consumer: ESM and CommonJS, against
// dist/*.d.ts and dist/*.d.cts) with each TypeScript a fresh install may pick: the 5.x of the
// `typescript` devDependency and TypeScript 7 (the native compiler) of the `typescript-7` alias
// (`"typescript-7": "npm:typescript@^7"`). Run `npm run build` first. Under CI=true a missing compiler fails.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const project = join('test', 'types', 'consumer', 'tsconfig.json');
const compilers = [
  { name: 'TypeScript 5.x', tsc: join('node_modules', 'typescript', 'bin', 'tsc'), major: 5 },
  { name: 'TypeScript 7', tsc: join('node_modules', 'typescript-7', 'bin', 'tsc'), major: 7 },
];

if (!existsSync(join('dist', 'index.d.ts'))) {
  console.error('check:types: dist/ is missing: run npm run build first');
  process.exit(1);
}
let failed = false;
for (const { name, tsc, major } of compilers) {
  if (!existsSync(tsc)) {
    const message = `check:types: ${name} is not installed (${tsc})`;
    if (process.env.CI === 'true') {
      console.error(`${message}: CI needs it`);
      failed = true;
    } else console.warn(`!!! ${message}: skipped`);
    continue;
  }
  const version = execFileSync(process.execPath, [tsc, '--version'], { encoding: 'utf8' }).trim();
  if (!version.includes(` ${major}.`)) {
    console.error(`check:types: ${tsc} is ${version}, expected ${name}`);
    failed = true;
    continue;
  }
  try {
    execFileSync(process.execPath, [tsc, '-p', project], { stdio: 'inherit' });
    console.log(`check:types: ${version}: the strict consumer compiles`);
  } catch {
    console.error(`check:types: ${version}: the strict consumer does not compile`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
