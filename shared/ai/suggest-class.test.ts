import { describe, expect, it } from 'vitest';
import { isDateOfBirth, isIban, isNationalId, isPaymentCard, isPhone, luhnValid } from './detectors.js';
import { suggestClass } from './suggest-class.js';

describe('detectors', () => {
  it('Luhn and issuer prefixes decide a card', () => {
    expect(luhnValid('79927398713')).toBe(true);
    expect(luhnValid('79927398710')).toBe(false);
    expect(isPaymentCard('4111 1111 1111 1111')).toBe(true);
    expect(isPaymentCard('378282246310005')).toBe(true);
    // Luhn-valid but no issuer uses the prefix 1…: an id, not a card.
    expect(isPaymentCard('1000000000000008')).toBe(false);
    expect(isPaymentCard('4111111111111112')).toBe(false);
  });

  it('IBAN: country length and mod-97', () => {
    expect(isIban('GB82 WEST 1234 5698 7654 32')).toBe(true);
    expect(isIban('GB82WEST1234569876543')).toBe(false); // one short for GB
    expect(isIban('GB83WEST12345698765432')).toBe(false);
    expect(isIban('XX82WEST12345698765432')).toBe(false);
  });

  it('phones need a + or North American separators; bare digits are ids', () => {
    expect(isPhone('+14155550132')).toBe(true);
    expect(isPhone('(415) 555-0132')).toBe(true);
    expect(isPhone('4155550132')).toBe(false);
    expect(isPhone('+0123456789')).toBe(false);
  });

  it('national ids: US SSN rules, UK NINO prefixes', () => {
    expect(isNationalId('078-05-1120')).toBe(true);
    expect(isNationalId('666-05-1120')).toBe(false);
    expect(isNationalId('AB 12 34 56 C')).toBe(true);
    expect(isNationalId('GB123456C')).toBe(false);
  });

  it('dates of birth are past ISO dates from 1900', () => {
    expect(isDateOfBirth('1984-07-09', '2026-01-01')).toBe(true);
    expect(isDateOfBirth('2030-07-09', '2026-01-01')).toBe(false);
    expect(isDateOfBirth('1850-07-09', '2026-01-01')).toBe(false);
  });
});

describe('suggestClass', () => {
  it('from names', () => {
    expect(suggestClass('billingEmail', [])?.class).toBe('email');
    expect(suggestClass('mobile_phone', [])?.class).toBe('phone');
    expect(suggestClass('first_name', [])?.class).toBe('person-name');
    expect(suggestClass('street_address', [])?.class).toBe('postal-address');
    expect(suggestClass('mailing_address', [])?.class).toBe('postal-address');
    expect(suggestClass('ssn', [])?.class).toBe('national-id');
    expect(suggestClass('date_of_birth', [])?.class).toBe('date-of-birth');
    expect(suggestClass('notes', [])?.class).toBe('free-text');
    expect(suggestClass('updated_at', [])?.class).toBe('not-sensitive');
    expect(suggestClass('plan', [])).toBeNull();
  });

  it('values win over names, with the reason', () => {
    const s = suggestClass('phone', ['a@example.com', 'b@example.com', 'c@example.com', 'not an email', 'd@example.com']);
    expect(s).toEqual({ class: 'email', reason: '4 of 5 samples are email addresses' });
    expect(suggestClass('ref', ['GB82WEST12345698765432', 'DE89370400440532013000'])?.class).toBe('iban');
    expect(suggestClass('x', ['4111111111111111', '5555555555554444'])?.class).toBe('payment-card');
    expect(suggestClass('contact', ['+14155550132', '+442079460958'])?.class).toBe('phone');
    expect(suggestClass('comment_text_blob', ['Called her at +1 415 555 0132 about the invoice'])?.class).toBe('free-text');
    expect(suggestClass('dob', ['1984-07-09', { $pg: 'date', text: '1990-01-31' }], '2026-01-01')?.reason).toContain('past dates');
  });
});
