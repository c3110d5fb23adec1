import { defineConfig } from 'tsup';

// One entry per subpath export: the root imports no driver; each dialect is reached only through its own.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    sqlite: 'src/dialects/sqlite/index.ts',
    postgres: 'src/dialects/postgres/index.ts',
    pglite: 'src/dialects/pglite/index.ts',
    mysql: 'src/dialects/mysql/index.ts',
    fernet: 'src/crypto/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  splitting: true,
  treeshake: true,
});
