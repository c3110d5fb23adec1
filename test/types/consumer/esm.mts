// An ES module host using every entry point's public types, compiled against dist/*.d.ts.
import Database from 'better-sqlite3';
import { z } from 'zod';
import { ExtensionStorage, ExtensionStorageError, type EntryInfo, type ErrorCode, type RotationProgress } from 'extension-storage';
import { Fernet } from 'extension-storage/fernet';
import { MIN_MAX_ALLOWED_PACKET, mysql } from 'extension-storage/mysql';
import { pglite } from 'extension-storage/pglite';
import { postgres } from 'extension-storage/postgres';
import { extensionStorage, sqlite } from 'extension-storage/sqlite';

const storage = new ExtensionStorage({ dialect: sqlite(new Database(':memory:')), encryptionKeys: 'secret' });
const ext = storage.extension('acme.consumer', { user: { id: 42 } });
const Prefs = z.object({ theme: z.enum(['dark', 'light']) });

export async function host(): Promise<void> {
  await storage.migrate();
  const info: EntryInfo = await ext.user.set('k', 'v', { encrypt: true, category: null });
  await ext.user.setJSON('prefs', { theme: 'dark' }, { schema: Prefs });
  // @ts-expect-error: not the schema's input type
  await ext.user.setJSON('prefs', { theme: 'blue' }, { schema: Prefs });
  const prefs = await ext.user.getJSON('prefs', { schema: Prefs });
  const theme: 'dark' | 'light' | undefined = prefs?.theme;
  const progress: RotationProgress[] = [];
  await storage.rotateKeys({ batchSize: 10, onProgress: (p) => progress.push(p), signal: AbortSignal.timeout(1000) });
  try {
    await ext.global.get('');
  } catch (error) {
    if (error instanceof ExtensionStorageError) {
      const code: ErrorCode = error.code;
      console.log(code, info.version, theme, extensionStorage.key.name, MIN_MAX_ALLOWED_PACKET, typeof mysql, typeof pglite, typeof postgres);
    }
  }
  new Fernet(Fernet.generateKey());
}
