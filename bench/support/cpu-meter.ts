import fs from 'node:fs';

/**
 * CPU time spent during a measured stretch, per row: this Node process (all threads), its main
 * thread (event-loop busy time), and every `postgres` process on the machine (Linux /proc; the
 * bench's embedded server is the only one). On a 2-core machine these say where the cores go.
 */
export interface CpuPerRow {
  postgresUs: number | null;
  nodeUs: number;
  mainThreadUs: number;
}

const CLOCK_TICK_MS = 10; // USER_HZ is 100 on Linux

function postgresCpuMs(): number | null {
  if (!fs.existsSync('/proc/self/stat')) return null;
  let ticks = 0;
  for (const pid of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const nameEnd = stat.lastIndexOf(')');
      if (stat.slice(stat.indexOf('(') + 1, nameEnd) !== 'postgres') continue;
      const fields = stat.slice(nameEnd + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime
    } catch {
      /* the process ended meanwhile */
    }
  }
  return ticks * CLOCK_TICK_MS;
}

export function startCpuMeter(): { perRow(rows: number): CpuPerRow } {
  const pg0 = postgresCpuMs();
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  return {
    perRow(rows: number): CpuPerRow {
      const pg1 = postgresCpuMs();
      const cpu = process.cpuUsage(cpu0);
      const elu = performance.eventLoopUtilization(elu0);
      return {
        postgresUs: pg0 === null || pg1 === null ? null : ((pg1 - pg0) * 1000) / rows,
        nodeUs: (cpu.user + cpu.system) / rows,
        mainThreadUs: (elu.active * 1000) / rows,
      };
    },
  };
}

export function describeCpu(c: CpuPerRow): string {
  const pg = c.postgresUs === null ? '' : `postgres ${c.postgresUs.toFixed(1)} µs, `;
  return `CPU per row: ${pg}node ${c.nodeUs.toFixed(1)} µs (main thread busy ${c.mainThreadUs.toFixed(1)} µs of wall time)`;
}
