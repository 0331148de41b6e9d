/**
 * The edge both database benches run: contacts (system `src`) → customers (system `dst`), matched by
 * email, four fields owned by the source, real-time.
 */
export const ONE_WAY_CONTACTS_SYNC = {
  id: 'one-way',
  a: { system: 'src', entity: 'contacts' },
  b: { system: 'dst', entity: 'customers' },
  direction: 'a-to-b',
  matchKey: { a: 'email', b: 'email', normalize: 'exact' },
  fields: [
    { a: 'email', b: 'email', owner: 'a' },
    { a: 'name', b: 'name', owner: 'a' },
    { a: 'plan', b: 'plan', owner: 'a' },
    { a: 'sent_at', b: 'sent_at', owner: 'a' },
  ],
} as const;
