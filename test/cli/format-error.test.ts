import { describe, expect, it } from 'vitest';
import { formatError } from '../../src/commands/common.ts';

describe('formatError: one clear line for the terminal', () => {
  it('spells out an AggregateError (a name resolving to several addresses, none answering)', () => {
    const err = new AggregateError([new Error('connect ECONNREFUSED ::1:6379'), new Error('connect ECONNREFUSED 127.0.0.1:6379')]);
    expect(formatError(err)).toEqual({ message: 'connect ECONNREFUSED ::1:6379; connect ECONNREFUSED 127.0.0.1:6379', exitCode: 1 });
  });

  it('keeps a message over several lines on one line, and falls back to the error code', () => {
    expect(formatError(new Error('first\n  second\n')).message).toBe('first second');
    expect(formatError(Object.assign(new Error(''), { code: 'ECONNRESET' })).message).toBe('ECONNRESET');
  });
});
