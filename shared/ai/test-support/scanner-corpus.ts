import type { ScanFindingKind } from '../../flow/schema.js';

/**
 * The scanner's test corpus: texts like the ones in notes and ticket bodies, with the sensitive values
 * each really holds (true positives to find) and near misses it must leave alone (a Luhn-invalid
 * number, a bad IBAN checksum, dates, versions, ISBNs, tracking numbers, unissued SSN areas…). A few
 * real formats the scanner does not handle (dotted card numbers, 00-prefixed and obfuscated values)
 * are here on purpose, so recall is reported honestly. Used by scanner.test.ts and the bench row
 * bench/rows/ai-scanner.ts.
 */
export interface CorpusCase {
  text: string;
  /** The sensitive values in `text`, each as the exact substring and its kind. */
  holds: Array<[kind: ScanFindingKind, value: string]>;
}

export const SCANNER_CORPUS: CorpusCase[] = [
  // Payment cards (test numbers published by the networks)
  { text: 'Customer paid with 4111111111111111 yesterday', holds: [['payment-card', '4111111111111111']] },
  { text: 'card 4111 1111 1111 1111 exp 12/27', holds: [['payment-card', '4111 1111 1111 1111']] },
  { text: 'MC 5555-5555-5555-4444 declined', holds: [['payment-card', '5555-5555-5555-4444']] },
  { text: 'new 2-series card 2223003122003222 added', holds: [['payment-card', '2223003122003222']] },
  { text: 'Amex 378282246310005, backup 371449635398431', holds: [['payment-card', '378282246310005'], ['payment-card', '371449635398431']] },
  { text: 'Discover: 6011111111111117.', holds: [['payment-card', '6011111111111117']] },
  { text: 'JCB 3530111333300000 on file', holds: [['payment-card', '3530111333300000']] },
  { text: 'Diners 30569309025904 (old)', holds: [['payment-card', '30569309025904']] },
  { text: 'visa debit 4000056655665556', holds: [['payment-card', '4000056655665556']] },
  { text: 'card number 4111.1111.1111.1111 in the email', holds: [['payment-card', '4111.1111.1111.1111']] },
  // IBANs (ISO 13616 examples)
  { text: 'Refund to DE89 3704 0044 0532 0130 00 please', holds: [['iban', 'DE89 3704 0044 0532 0130 00']] },
  { text: 'IBAN GB82WEST12345698765432', holds: [['iban', 'GB82WEST12345698765432']] },
  { text: 'FR1420041010050500013M02606 is the new account', holds: [['iban', 'FR1420041010050500013M02606']] },
  { text: 'Pay NL91ABNA0417164300 or BE68539007547034', holds: [['iban', 'NL91ABNA0417164300'], ['iban', 'BE68539007547034']] },
  { text: 'ES91 2100 0418 4502 0005 1332', holds: [['iban', 'ES91 2100 0418 4502 0005 1332']] },
  { text: 'account: CH9300762011623852957', holds: [['iban', 'CH9300762011623852957']] },
  { text: 'Norwegian NO9386011117947 and Polish PL61109010140000071219812874', holds: [['iban', 'NO9386011117947'], ['iban', 'PL61109010140000071219812874']] },
  { text: 'lowercase iban de89370400440532013000 from a form', holds: [['iban', 'de89370400440532013000']] },
  // Emails
  { text: 'Contact jane.doe@example.com for the invoice', holds: [['email', 'jane.doe@example.com']] },
  { text: 'cc: "Bob" <bob+billing@sub.example.co.uk>', holds: [['email', 'bob+billing@sub.example.co.uk']] },
  { text: 'Emails: a@b.io, O\'Brien@example.ie', holds: [['email', 'a@b.io'], ['email', "O'Brien@example.ie"]] },
  { text: 'write to john.doe(at)example.com', holds: [['email', 'john.doe(at)example.com']] },
  // Phones
  { text: 'Call me on +1 415 555 0132 after 5', holds: [['phone', '+1 415 555 0132']] },
  { text: 'UK office +44 20 7946 0958', holds: [['phone', '+44 20 7946 0958']] },
  { text: 'mobile: +4915123456789', holds: [['phone', '+4915123456789']] },
  { text: 'US line (415) 555-0132 or 415-555-0199', holds: [['phone', '(415) 555-0132'], ['phone', '415-555-0199']] },
  { text: 'Tokyo +81-3-1234-5678', holds: [['phone', '+81-3-1234-5678']] },
  { text: 'Paris +33 (0)1 42 68 53 00', holds: [['phone', '+33 (0)1 42 68 53 00']] },
  { text: 'old style 0044 20 7946 0958', holds: [['phone', '0044 20 7946 0958']] },
  // National ids
  { text: 'SSN 078-05-1120 on the form', holds: [['national-id', '078-05-1120']] },
  { text: 'his ssn is 219-09-9999.', holds: [['national-id', '219-09-9999']] },
  { text: 'NI number AB123456C', holds: [['national-id', 'AB123456C']] },
  { text: 'NINO: JG 10 37 59 A', holds: [['national-id', 'JG 10 37 59 A']] },
  // Mixed
  { text: 'Jane (jane@example.org, +1 212 555 0100) paid 5105105105105100 to GB82WEST12345698765432', holds: [['email', 'jane@example.org'], ['phone', '+1 212 555 0100'], ['payment-card', '5105105105105100'], ['iban', 'GB82WEST12345698765432']] },
  // Near misses: nothing sensitive here
  { text: 'Order 4111111111111112 shipped', holds: [] },
  { text: 'ISBN 978-3-16-148410-0', holds: [] },
  { text: 'UPS tracking 1Z999AA10123456784', holds: [] },
  { text: 'Invoice 2024-03-15 for 1,234.56 EUR', holds: [] },
  { text: 'Upgraded to version 1.2.3.4 on 10.0.0.1', holds: [] },
  { text: 'IBAN DE89370400440532013001 bounced (typo)', holds: [] },
  { text: 'GB00WEST12345698765432 is not valid', holds: [] },
  { text: 'ids 000-12-3456, 666-12-3456, 123-00-4567, 900-12-3456', holds: [] },
  { text: 'reference 1234567890123 and epoch 1710000000000', holds: [] },
  { text: 'user at example dot com', holds: [] },
  { text: '@alice mentioned this in #support', holds: [] },
  { text: 'UUID 123e4567-e89b-12d3-a456-426614174000', holds: [] },
  { text: 'QQ123456C is not an issued NINO prefix', holds: [] },
  { text: 'extension 555-0132 only', holds: [] },
  { text: 'SKU 4111-1111 and part 55555-4444', holds: [] },
  { text: 'timestamps 2024-03-15T10:00:00+01:00 and 2024-03-15 10:00:00', holds: [] },
  { text: 'ticket #1234567890123456 reopened', holds: [] },
  { text: 'Total 100.00 + 20.00 tax', holds: [] },
  { text: 'GTIN 4006381333931 on the box', holds: [] },
  { text: 'Postcode SW1A 2AA, London', holds: [] },
];
