import { CronExpressionParser } from 'cron-parser';

/** The next time (epoch ms) a batch-tier edge runs after `from`. Throws with a readable message on a bad expression. */
export function nextCronTime(expr: string, from: number): number {
  const fields = expr.trim().split(/\s+/).length;
  if (fields !== 5) {
    throw new Error(`"${expr}" is not a valid cron schedule (it has ${fields} fields); use five fields, e.g. "*/15 * * * *" for every 15 minutes`);
  }
  try {
    return CronExpressionParser.parse(expr, { currentDate: new Date(from) }).next().getTime();
  } catch (e) {
    throw new Error(`"${expr}" is not a valid cron schedule (${(e as Error).message}); use five fields, e.g. "*/15 * * * *" for every 15 minutes`);
  }
}

export function isValidCron(expr: string): string | null {
  try {
    nextCronTime(expr, Date.now());
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
