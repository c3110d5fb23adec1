/**
 * What a DatabaseError keeps of the driver's error: name, codes, and a message without data.
 */
import { describe, expect, it } from 'vitest';
import { DatabaseError, DriverError } from '../../src/index.js';

function driverError(message: string, fields: Record<string, unknown>): Error {
  return Object.assign(new Error(message), fields);
}

describe('the cause of a DatabaseError', () => {
  it('keeps the innermost error’s name and codes, and masks what a message quotes', () => {
    const mysql = driverError("Duplicate entry 'secret-value' for key 'extension_storage_uuid'", { name: 'Error', code: 'ER_DUP_ENTRY', errno: 1062, sqlState: '23000', sql: "INSERT … 'secret-value'" });
    const cause = new DatabaseError('mysql: upsert failed', mysql).cause as DriverError;
    expect(cause).toBeInstanceOf(DriverError);
    expect(cause).toMatchObject({ code: 'ER_DUP_ENTRY', errno: 1062, sqlState: '23000' });
    expect(cause.message).toBe("Duplicate entry '…' for key 'extension_storage_uuid'");
    expect(cause.stack).not.toContain('secret-value');
    expect(Object.keys(cause)).not.toContain('sql');
  });

  it('drops Drizzle’s wrapper, with its statement and parameters, for the driver error under it', () => {
    const postgres = driverError('invalid byte sequence for encoding "UTF8": 0xe28098', { name: 'PostgresError', code: '22021', parameters: ['secret-value'] });
    const drizzle = Object.assign(new Error('Failed query: insert into "extension_storage" …\nparams: secret-value,115,101'), { cause: postgres, params: ['secret-value'] });
    const cause = new DatabaseError('postgres: upsert failed', drizzle).cause as DriverError;
    expect(cause).toMatchObject({ name: 'PostgresError', code: '22021', message: 'invalid byte sequence for encoding "…": 0x…' });
    expect(JSON.stringify(cause)).not.toContain('secret');
  });

  it('takes anything thrown, not only errors', () => {
    expect((new DatabaseError('sqlite: get failed', 'a string with secret-value').cause as DriverError).message).toBe('string');
  });
});
