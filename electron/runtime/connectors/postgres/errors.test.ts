import { describe, expect, test } from 'vitest';
import { classifyPgError } from './errors.js';

describe('classifyPgError', () => {
  test('connection trouble, serialization failures and deadlocks are transient', () => {
    for (const code of ['40001', '40P01', '08006', '57P01', '53300', 'ECONNRESET', 'ECONNREFUSED']) {
      expect(classifyPgError({ message: 'x', code }).errorClass, code).toBe('transient');
    }
    expect(classifyPgError(new Error('Connection terminated unexpectedly')).errorClass).toBe('transient');
  });

  test('bad values and constraint violations are validation errors carrying the server detail', () => {
    const e = classifyPgError({ message: 'duplicate key value violates unique constraint "c_email_key"', code: '23505', detail: 'Key (email)=(a@x.io) already exists.' });
    expect(e).toEqual({ errorClass: 'validation', message: 'duplicate key value violates unique constraint "c_email_key" — Key (email)=(a@x.io) already exists.', response: '23505' });
    expect(classifyPgError({ message: 'invalid input syntax for type integer: "abc"', code: '22P02' }).errorClass).toBe('validation');
  });

  test('anything else is permanent', () => {
    expect(classifyPgError({ message: 'permission denied for table t', code: '42501' }).errorClass).toBe('permanent');
  });
});
