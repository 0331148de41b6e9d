import { describe, expect, test } from 'vitest';
import { classifyPgError } from './errors.js';

describe('classifyPgError', () => {
  test('a server that cannot be reached or is not accepting work is unavailable, not the record', () => {
    const unavailable = [
      // class 08: connection exception
      '08000', '08001', '08003', '08004', '08006', '08P01',
      // class 53: insufficient resources (too many connections, disk full, out of memory)
      '53000', '53100', '53200', '53300', '53400',
      // 57P0x: shutdown, crash shutdown, cannot connect now, database dropped, idle session timeout
      '57P01', '57P02', '57P03', '57P04', '57P05',
      // 55000: "database is not currently accepting connections" (ALLOW_CONNECTIONS false)
      '55000',
      // serialization failure and deadlock
      '40001', '40P01',
      // the network
      'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND',
    ];
    for (const code of unavailable) {
      const e = classifyPgError({ message: 'x', code });
      expect(e.errorClass, code).toBe('unavailable');
      expect(e.response, code).toBe(code);
    }
    expect(classifyPgError(new Error('Connection terminated unexpectedly')).errorClass).toBe('unavailable');
    expect(classifyPgError(new Error('timeout expired')).errorClass).toBe('unavailable');
    expect(classifyPgError({ message: 'database "billing" is not currently accepting connections', code: '55000' })).toEqual({
      errorClass: 'unavailable',
      message: 'database "billing" is not currently accepting connections',
      response: '55000',
    });
  });

  test('a lock held by another session is a record-level transient error', () => {
    for (const code of ['55P03', '55006']) expect(classifyPgError({ message: 'x', code }).errorClass, code).toBe('transient');
  });

  test('bad values and constraint violations are validation errors carrying the server detail', () => {
    const e = classifyPgError({ message: 'duplicate key value violates unique constraint "c_email_key"', code: '23505', detail: 'Key (email)=(a@x.io) already exists.' });
    expect(e).toEqual({ errorClass: 'validation', message: 'duplicate key value violates unique constraint "c_email_key" — Key (email)=(a@x.io) already exists.', response: '23505' });
    expect(classifyPgError({ message: 'invalid input syntax for type integer: "abc"', code: '22P02' }).errorClass).toBe('validation');
  });

  test('anything else is permanent', () => {
    expect(classifyPgError({ message: 'permission denied for table t', code: '42501' }).errorClass).toBe('permanent');
    // Neighbours of the unavailable codes stay what they are.
    for (const code of ['55P02', '57014', '42P01', '40002']) expect(classifyPgError({ message: 'x', code }).errorClass, code).not.toBe('unavailable');
  });
});
