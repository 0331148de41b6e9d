/**
 * The demo's seed records. Emails use `.example` domains (reserved, never deliverable) and phone
 * numbers the fictional 555-01xx range.
 */

export type DemoPlan = 'basic' | 'pro' | 'enterprise';
export type DemoBillingStatus = 'trialing' | 'active' | 'past_due' | 'cancelled';

export interface DemoPerson {
  first: string;
  last: string;
  email: string;
  /** National format as CRM staff type it, e.g. "(212) 555-0134". */
  phone: string;
  company: string;
  plan: DemoPlan;
  status: DemoBillingStatus;
  /** Where the person exists: both systems, or only one of them. */
  in: 'both' | 'crm' | 'billing';
}

const p = (first: string, last: string, domain: string, phone: string, company: string, plan: DemoPlan, status: DemoBillingStatus, where: DemoPerson['in'] = 'both'): DemoPerson => ({
  first,
  last,
  email: `${first}.${last}@${domain}`.toLowerCase().replace(/[^a-z0-9.@-]/g, ''),
  phone,
  company,
  plan,
  status,
  in: where,
});

export const DEMO_PEOPLE: readonly DemoPerson[] = [
  p('Maria', 'Garcia', 'northwind.example', '(212) 555-0101', 'Northwind Traders', 'pro', 'active'),
  p('James', 'Wilson', 'contoso.example', '(312) 555-0102', 'Contoso Ltd', 'enterprise', 'active'),
  p('Aisha', 'Khan', 'fabrikam.example', '(415) 555-0103', 'Fabrikam Inc', 'basic', 'active'),
  p('Liam', "O'Connor", 'tailspin.example', '(617) 555-0104', 'Tailspin Toys', 'pro', 'past_due'),
  p('Sofia', 'Rossi', 'adventure-works.example', '(206) 555-0105', 'Adventure Works', 'basic', 'trialing'),
  p('Noah', 'Schmidt', 'wingtip.example', '(303) 555-0106', 'Wingtip Toys', 'pro', 'active'),
  p('Yuki', 'Tanaka', 'litware.example', '(512) 555-0107', 'Litware', 'enterprise', 'active'),
  p('Olivia', 'Brown', 'proseware.example', '(646) 555-0108', 'Proseware', 'basic', 'cancelled'),
  p('Mateo', 'Fernandez', 'lucerne.example', '(305) 555-0109', 'Lucerne Publishing', 'pro', 'active'),
  p('Emma', 'Johansson', 'margies.example', '(612) 555-0110', "Margie's Travel", 'basic', 'active'),
  p('Chen', 'Wei', 'coho.example', '(408) 555-0111', 'Coho Winery', 'pro', 'active'),
  p('Amara', 'Okafor', 'alpine.example', '(404) 555-0112', 'Alpine Ski House', 'enterprise', 'past_due'),
  p('Lucas', 'Martin', 'blueyonder.example', '(214) 555-0113', 'Blue Yonder Airlines', 'pro', 'active'),
  p('Priya', 'Patel', 'woodgrove.example', '(732) 555-0114', 'Woodgrove Bank', 'enterprise', 'active'),
  p('Ethan', 'Miller', 'fourthcoffee.example', '(503) 555-0115', 'Fourth Coffee', 'basic', 'active'),
  p('Hannah', 'Cohen', 'graphicdesign.example', '(718) 555-0116', 'Graphic Design Institute', 'basic', 'trialing'),
  p('Diego', 'Silva', 'humongous.example', '(602) 555-0117', 'Humongous Insurance', 'pro', 'active'),
  p('Chloe', 'Dubois', 'wideworld.example', '(202) 555-0118', 'Wide World Importers', 'pro', 'past_due'),
  p('Omar', 'Haddad', 'treyresearch.example', '(313) 555-0119', 'Trey Research', 'enterprise', 'active'),
  p('Grace', 'Kim', 'southridge.example', '(213) 555-0120', 'Southridge Video', 'basic', 'active'),
  p('Lukas', 'Novak', 'cpandb.example', '(412) 555-0121', 'City Power & Light', 'pro', 'active'),
  p('Fatima', 'Zahra', 'nod.example', '(718) 555-0122', 'Nod Publishers', 'basic', 'cancelled'),
  p('Benjamin', 'Lee', 'firstup.example', '(617) 555-0123', 'First Up Consultants', 'pro', 'active'),
  p('Isabella', 'Moreau', 'relecloud.example', '(415) 555-0124', 'Relecloud', 'enterprise', 'active'),
  p('Samuel', 'Adeyemi', 'vanarsdel.example', '(312) 555-0125', 'VanArsdel Ltd', 'pro', 'trialing'),
  p('Mia', 'Andersen', 'datum.example', '(206) 555-0126', 'A. Datum Corporation', 'basic', 'active'),
  p('Daniel', 'Novaes', 'bellows.example', '(305) 555-0127', 'Bellows College', 'basic', 'active'),
  p('Zoe', 'Papadopoulos', 'contoso.example', '(312) 555-0128', 'Contoso Ltd', 'enterprise', 'active'),
  p('Ravi', 'Iyer', 'fabrikam.example', '(415) 555-0129', 'Fabrikam Inc', 'pro', 'active'),
  p('Elena', 'Petrova', 'northwind.example', '(212) 555-0130', 'Northwind Traders', 'basic', 'past_due'),
  p('Jack', 'Murphy', 'tailspin.example', '(617) 555-0131', 'Tailspin Toys', 'basic', 'active'),
  p('Leila', 'Farahani', 'litware.example', '(512) 555-0132', 'Litware', 'pro', 'active'),
  p('Tomas', 'Horvat', 'wingtip.example', '(303) 555-0133', 'Wingtip Toys', 'basic', 'active'),
  p('Nora', 'Lindqvist', 'proseware.example', '(646) 555-0134', 'Proseware', 'pro', 'active'),
  // In the CRM only: leads that have not bought anything yet.
  p('Victor', 'Almeida', 'lucerne.example', '(305) 555-0135', 'Lucerne Publishing', 'basic', 'trialing', 'crm'),
  p('Ingrid', 'Berg', 'coho.example', '(408) 555-0136', 'Coho Winery', 'basic', 'trialing', 'crm'),
  p('Kwame', 'Mensah', 'alpine.example', '(404) 555-0137', 'Alpine Ski House', 'basic', 'trialing', 'crm'),
  p('Ana', 'Kowalska', 'blueyonder.example', '(214) 555-0138', 'Blue Yonder Airlines', 'basic', 'trialing', 'crm'),
  p('Hiroshi', 'Sato', 'woodgrove.example', '(732) 555-0139', 'Woodgrove Bank', 'basic', 'trialing', 'crm'),
  p('Layla', 'Nasser', 'fourthcoffee.example', '(503) 555-0140', 'Fourth Coffee', 'basic', 'trialing', 'crm'),
  // In Billing only: self-serve signups nobody has entered in the CRM yet.
  p('Oscar', 'Nilsson', 'humongous.example', '(602) 555-0141', 'Humongous Insurance', 'basic', 'active', 'billing'),
  p('Greta', 'Hoffmann', 'wideworld.example', '(202) 555-0142', 'Wide World Importers', 'pro', 'trialing', 'billing'),
  p('Tariq', 'Aziz', 'treyresearch.example', '(313) 555-0143', 'Trey Research', 'basic', 'active', 'billing'),
];

/** "(212) 555-0101" → "+12125550101", the way the billing system stores phone numbers. */
export function toE164(phone: string): string {
  return `+1${phone.replace(/\D/g, '')}`;
}

/** How the CRM shows billing's plan codes and payment states. */
export const CRM_PLAN_LABEL: Record<DemoPlan, string> = { basic: 'Basic', pro: 'Pro', enterprise: 'Enterprise' };
export const CRM_PAYMENT_LABEL: Record<DemoBillingStatus, string> = { trialing: 'Trial', active: 'Paid', past_due: 'Overdue', cancelled: 'Cancelled' };
