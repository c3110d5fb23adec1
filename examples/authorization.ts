/**
 * Authorization from the host's own permissions, as Apache Superset's model has it (SIP-19): a user may
 * read an extension's state attached to a dashboard when they may read the dashboard (`can_read`), and
 * change it when they may change the dashboard (`can_write`); global entries are read by everyone and
 * written by admins only; each user's own entries are theirs. Run with `npm run example:authorization`:
 * it prints each decision and exits non-zero if one is not the expected one.
 */
import Database from 'better-sqlite3';
import { ExtensionStorage, ForbiddenError, type AuthorizationRequest } from '../src/index.js';
import { sqlite } from '../src/dialects/sqlite/index.js';

/** The host's permissions, as its own tables would hold them. */
const host = {
  admins: new Set(['1']),
  /** user id → dashboard id → the permissions the user holds on it. */
  grants: new Map<string, Map<string, ReadonlySet<'can_read' | 'can_write'>>>([
    ['2', new Map([['101', new Set(['can_read', 'can_write'] as const)]])], // owner of dashboard 101
    ['3', new Map([['101', new Set(['can_read'] as const)]])], // viewer of dashboard 101
  ]),
  can(userId: string | undefined, permission: 'can_read' | 'can_write', dashboardId: string): boolean {
    return userId !== undefined && (this.admins.has(userId) || (this.grants.get(userId)?.get(dashboardId)?.has(permission) ?? false));
  },
};

/** The hook: resource scope from the host's permission on the resource, global writes for admins. */
function authorize({ action, scope, userId, resource }: AuthorizationRequest): boolean {
  const reading = action === 'read' || action === 'list';
  if (scope === 'resource') return resource!.type === 'dashboard' && host.can(userId, reading ? 'can_read' : 'can_write', resource!.id);
  if (scope === 'global') return reading || (userId !== undefined && host.admins.has(userId));
  return true; // the user scope is always the caller's own
}

const db = new Database(':memory:');
const storage = new ExtensionStorage({ dialect: sqlite(db), authorize });
await storage.migrate();

let failures = 0;
async function expectOutcome(label: string, allowed: boolean, operation: () => Promise<unknown>): Promise<void> {
  const outcome = await operation().then(
    () => 'allowed',
    (error: unknown) => (error instanceof ForbiddenError ? 'FORBIDDEN' : `failed: ${String(error)}`),
  );
  const ok = outcome === (allowed ? 'allowed' : 'FORBIDDEN');
  if (!ok) failures++;
  console.log(`${ok ? '✓' : '✗'} ${label.padEnd(58)} ${outcome}`);
}

const as = (id: number) => storage.extension('acme.annotations', { user: { id } });
await expectOutcome('admin writes a global default', true, () => as(1).global.set('default-color', 'blue'));
await expectOutcome('viewer reads the global default', true, () => as(3).global.getText('default-color'));
await expectOutcome('viewer writes a global default', false, () => as(3).global.set('default-color', 'red'));
await expectOutcome('owner annotates dashboard 101', true, () => as(2).resource('dashboard', 101).set('note', 'Q3 dip'));
await expectOutcome('viewer reads the annotation of dashboard 101', true, () => as(3).resource('dashboard', 101).getText('note'));
await expectOutcome('viewer lists the annotations of dashboard 101', true, () => as(3).resource('dashboard', 101).list());
await expectOutcome('viewer changes the annotation of dashboard 101', false, () => as(3).resource('dashboard', 101).set('note', 'x'));
await expectOutcome('viewer deletes the annotation of dashboard 101', false, () => as(3).resource('dashboard', 101).delete('note'));
await expectOutcome('stranger reads the annotation of dashboard 101', false, () => as(4).resource('dashboard', 101).getText('note'));
await expectOutcome('viewer keeps private notes in the user scope', true, () => as(3).user.set('draft', 'ask about Q3'));
db.close();

if (failures > 0) {
  console.error(`${failures} decision(s) were not the expected ones`);
  process.exit(1);
}
