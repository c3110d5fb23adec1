import { defineConfig } from 'tsup';

// One entry per subpath export: the root imports no driver; each dialect is reached only through its own.
// The CLI (the package's bin) is a build of its own, ESM only: the library's entries never import it,
// and its dynamic imports of drivers and dialects stay separate chunks, loaded only for the --db given.
export default defineConfig([
  {
    entry: {
      index: 'src/index.ts',
      sqlite: 'src/dialects/sqlite/index.ts',
      postgres: 'src/dialects/postgres/index.ts',
      pglite: 'src/dialects/pglite/index.ts',
      mysql: 'src/dialects/mysql/index.ts',
      fernet: 'src/crypto/index.ts',
      http: 'src/http/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    // Only this build's files: dist/cli/ belongs to the CLI build, which runs at the same time.
    clean: ['*.js', '*.cjs', '*.d.ts', '*.d.cts', '*.map'],
    sourcemap: true,
    target: 'node20',
    splitting: true,
    treeshake: true,
  },
  {
    entry: { cli: 'src/cli/main.ts' },
    outDir: 'dist/cli',
    format: ['esm'],
    dts: false,
    clean: true,
    sourcemap: true,
    target: 'node20',
    splitting: true,
    treeshake: true,
  },
]);
