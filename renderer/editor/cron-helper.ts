/** Common schedules for the batch tier, so nobody has to know cron syntax. */
export const CRON_PRESETS: { cron: string; label: string }[] = [
  { cron: '*/5 * * * *', label: 'Every 5 minutes' },
  { cron: '*/15 * * * *', label: 'Every 15 minutes' },
  { cron: '0 * * * *', label: 'Every hour' },
  { cron: '0 */6 * * *', label: 'Every 6 hours' },
  { cron: '0 2 * * *', label: 'Every night at 02:00' },
  { cron: '0 7 * * 1-5', label: 'Weekdays at 07:00' },
];

const FIELD = /^(\*|\d+(-\d+)?)(\/\d+)?(,(\*|\d+(-\d+)?)(\/\d+)?)*$/;

/** A readable description of a five-field cron expression, or what is wrong with it. */
export function describeCron(expr: string): { ok: true; text: string } | { ok: false; message: string } {
  const parts = expr.trim().split(/\s+/);
  if (parts.length !== 5) return { ok: false, message: 'a cron expression has five fields: minute hour day month weekday, e.g. "*/15 * * * *"' };
  const bad = parts.findIndex((p) => !FIELD.test(p));
  if (bad >= 0) return { ok: false, message: `the ${['minute', 'hour', 'day', 'month', 'weekday'][bad]} field “${parts[bad]}” is not valid` };
  const preset = CRON_PRESETS.find((p) => p.cron === parts.join(' '));
  if (preset) return { ok: true, text: preset.label };
  const [min, hour, day, month, weekday] = parts as [string, string, string, string, string];
  if (day === '*' && month === '*' && weekday === '*') {
    const everyMin = /^\*\/(\d+)$/.exec(min);
    if (everyMin && hour === '*') return { ok: true, text: `Every ${everyMin[1]} minutes` };
    if (/^\d+$/.test(min) && /^\d+$/.test(hour)) return { ok: true, text: `Every day at ${hour.padStart(2, '0')}:${min.padStart(2, '0')}` };
  }
  return { ok: true, text: `Custom schedule (${parts.join(' ')})` };
}
