import { describe, expect, it } from 'vitest';
import { isValidCron, nextCronTime } from './cron.js';

describe('nextCronTime', () => {
  it('gives the next scheduled time after `from`', () => {
    const from = Date.UTC(2026, 0, 1, 10, 7, 3);
    expect(nextCronTime('*/15 * * * *', from)).toBe(Date.UTC(2026, 0, 1, 10, 15));
  });

  it('says what is wrong with a bad expression and shows a good one', () => {
    expect(() => nextCronTime('every day', 0)).toThrow(/^"every day" is not a valid cron schedule \(.+\); use five fields, e\.g\. "\*\/15 \* \* \* \*"/);
    expect(() => nextCronTime('61 * * * *', 0)).toThrow(/"61 \* \* \* \*" is not a valid cron schedule/);
  });

  it('rejects an expression with four fields instead of silently reading it differently', () => {
    // cron-parser reads "*/15 * * *" as minute 0 of hours 0 and 15: not the every-15-minutes the user meant.
    expect(() => nextCronTime('*/15 * * *', 0)).toThrow(/five fields/);
  });
});

describe('isValidCron', () => {
  it('returns null for a valid expression and the message for a bad one', () => {
    expect(isValidCron('0 9 * * 1-5')).toBeNull();
    expect(isValidCron('0 25 * * *')).toMatch(/is not a valid cron schedule/);
  });
});
