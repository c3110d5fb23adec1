/**
 * What a `DatabaseError` keeps of the driver's error. Driver and Drizzle errors carry the statement's
 * bound parameters (Drizzle's message lists them, `params` holds them, postgres.js keeps them as hex,
 * mysql2 inlines them into `sql`), and server messages quote values ("Duplicate entry '…'"). An error
 * travels to logs, so only what identifies the failure is kept: the name, the message with its quoted
 * literals masked, and the driver's codes.
 * @module
 */

/** Names the library's statements use; kept when a server message quotes them, as they are no data. */
const OWN_NAMES =
  /^(extension_storage[a-z_]*|id|uuid|extension_id|user_id|resource_type|resource_id|key|value|value_type|category|description|is_encrypted|size|version|created_at|updated_at|created_by|updated_by|tag|applied_at)$/;
/** A quoted run in a message ('…', "…", `…`), or a hex literal. */
const LITERAL = /'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*"|`[^`]*`|\b0x[0-9a-f]+\b/gi;

/** The driver's failure, without the data of the statement that failed. */
export class DriverError extends Error {
  /** The driver's code: SQLSTATE on PostgreSQL, `ER_…` on MySQL, `SQLITE_…`, or a system code (`ECONNREFUSED`). */
  readonly code: string | undefined;
  /** MySQL's numeric error code. */
  readonly errno: number | undefined;
  /** MySQL's SQLSTATE. */
  readonly sqlState: string | undefined;

  constructor(name: string, message: string, codes: { code?: string; errno?: number; sqlState?: string }) {
    super(message);
    this.name = name;
    this.code = codes.code;
    this.errno = codes.errno;
    this.sqlState = codes.sqlState;
  }
}

/**
 * The innermost error of `error`'s cause chain (the driver's, under Drizzle's), as a `DriverError`
 * with no bound parameter, row content or original stack.
 */
export function sanitizeDriverError(error: unknown): DriverError {
  let inner = error;
  for (let depth = 0; depth < 8 && hasCause(inner); depth++) inner = inner.cause;
  const fields = (inner ?? {}) as { name?: unknown; message?: unknown; code?: unknown; errno?: unknown; sqlState?: unknown };
  const name = typeof fields.name === 'string' && fields.name !== '' ? fields.name : 'Error';
  const message = typeof fields.message === 'string' ? maskLiterals(firstLine(fields.message)) : typeof inner;
  return new DriverError(name, message, {
    code: typeof fields.code === 'string' ? fields.code : undefined,
    errno: typeof fields.errno === 'number' ? fields.errno : undefined,
    sqlState: typeof fields.sqlState === 'string' ? fields.sqlState : undefined,
  });
}

function hasCause(error: unknown): error is { cause: object } {
  const cause = (error as { cause?: unknown } | null)?.cause;
  return typeof cause === 'object' && cause !== null;
}

/** Drizzle's message goes on with the statement and its parameters on the next lines. */
function firstLine(message: string): string {
  const end = message.indexOf('\n');
  return end === -1 ? message : message.slice(0, end);
}

function maskLiterals(message: string): string {
  return message.replace(LITERAL, (literal) => {
    if (/^0x/i.test(literal)) return '0x…';
    return OWN_NAMES.test(literal.slice(1, -1)) ? literal : `${literal[0]}…${literal[0]}`;
  });
}
