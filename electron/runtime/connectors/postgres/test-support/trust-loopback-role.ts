import type pg from 'pg';

/**
 * Adds a superuser role the server trusts on loopback (pg_hba), so a spawned `synccanvas run`,
 * which reads secrets only from the OS keychain, can connect without one.
 */
export async function trustLoopbackRole(admin: pg.Client, role: string): Promise<void> {
  await admin.query(`DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN CREATE ROLE ${role} LOGIN SUPERUSER REPLICATION; END IF; END $$`);
  const hba = (await admin.query(`SELECT setting FROM pg_settings WHERE name = 'hba_file'`)).rows[0].setting as string;
  const current = (await admin.query(`SELECT pg_read_file($1) AS t`, [hba])).rows[0].t as string;
  if (current.includes(`host all ${role} 127.0.0.1/32 trust`)) return;
  // Written as raw bytes through a large object (COPY would escape the newlines).
  const oid = (await admin.query(`SELECT lo_from_bytea(0, convert_to($1, 'UTF8')) AS oid`, [`host all ${role} 127.0.0.1/32 trust\nhost replication ${role} 127.0.0.1/32 trust\n${current}`])).rows[0].oid as number;
  await admin.query(`SELECT lo_export($1, $2)`, [oid, hba]);
  await admin.query(`SELECT lo_unlink($1)`, [oid]);
  await admin.query(`SELECT pg_reload_conf()`);
}
