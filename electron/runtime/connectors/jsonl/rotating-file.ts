import fs from 'node:fs';
import path from 'node:path';

/**
 * One entity's rotating JSONL files in a folder, written so that a reader never sees a partial or
 * repeated line, even when the process is killed at any instant:
 *
 * - Lines go to `<entity>.<seq>.jsonl.part`; each batch is one append followed by fdatasync before the
 *   write is reported done (the engine commits its inbox only after that).
 * - A full or old part is published by fsync + rename to `<entity>.<seq>.jsonl` + fsync of the folder:
 *   a reader that takes `*.jsonl` only sees whole, final files.
 * - Every line carries its write's idempotency key (`id`). After the lines are durable, the ids of
 *   the whole write call, skipped ones included, replace `.<entity>.last-write` (written, synced,
 *   renamed). The engine sends again only its last, uncommitted batch, and a batch is committed
 *   before the next write call, so what comes again is in that list (a re-sent op skipped in one
 *   run and re-sent again after the next crash too: its line may be several files back by then).
 *   On open, a torn last line of the part (killed mid-append) is cut off; the ids of the part, the
 *   newest published file and the last-write list are remembered, and a re-sent op is skipped.
 */

const NAME = (entity: string) => new RegExp(`^${entity.replace(/[-]/g, '\\-')}\\.(\\d{8})\\.jsonl(\\.part)?$`);

export interface RotatingFileOptions {
  folder: string;
  entity: string;
  maxFileBytes: number;
  maxFileAgeMs: number;
  now?: () => number;
}

function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function idsOf(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      const id = (JSON.parse(line) as { id?: unknown }).id;
      if (typeof id === 'string') out.push(id);
    } catch {
      /* not ours to judge: only whole lines are ever here */
    }
  }
  return out;
}

export class RotatingJsonlFile {
  private seq = 1;
  private fd: number | null = null;
  private size = 0;
  private openedAt = 0;
  /** Ids in the current part and the newest published file (see above). */
  private recent = new Set<string>();
  private previous = new Set<string>();
  /** Ids of the last write call (see above). */
  private lastWrite = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly o: RotatingFileOptions) {
    this.now = o.now ?? Date.now;
    fs.mkdirSync(o.folder, { recursive: true });
    const re = NAME(o.entity);
    const found = fs
      .readdirSync(o.folder)
      .map((f) => ({ f, m: re.exec(f) }))
      .filter((x) => x.m)
      .map((x) => ({ f: x.f, seq: Number(x.m![1]), part: Boolean(x.m![2]) }))
      .sort((a, b) => a.seq - b.seq);
    const published = found.filter((x) => !x.part);
    const newest = published[published.length - 1];
    if (newest) this.previous = new Set(idsOf(fs.readFileSync(path.join(o.folder, newest.f), 'utf8')));
    try {
      this.lastWrite = new Set(fs.readFileSync(this.ledgerPath(), 'utf8').split('\n').filter(Boolean));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    const part = found.find((x) => x.part);
    this.seq = Math.max(part?.seq ?? 0, (newest?.seq ?? 0) + 1, 1);
    if (part) this.repairAndOpen(path.join(o.folder, part.f));
  }

  private ledgerPath(): string {
    return path.join(this.o.folder, `.${this.o.entity}.last-write`);
  }

  private partPath(): string {
    return path.join(this.o.folder, `${this.o.entity}.${String(this.seq).padStart(8, '0')}.jsonl.part`);
  }

  private repairAndOpen(p: string): void {
    const buf = fs.readFileSync(p);
    const end = buf.lastIndexOf(0x0a) + 1;
    const fd = fs.openSync(p, 'r+');
    if (end < buf.length) {
      // Killed in the middle of an append: that line was never reported written; the engine sends it again.
      fs.ftruncateSync(fd, end);
      fs.fdatasyncSync(fd);
    }
    this.fd = fd;
    this.size = end;
    this.openedAt = fs.fstatSync(fd).mtimeMs;
    this.recent = new Set(idsOf(buf.subarray(0, end).toString('utf8')));
  }

  /** Whether a write with this idempotency key is already in the files. */
  has(id: string): boolean {
    return this.recent.has(id) || this.previous.has(id) || this.lastWrite.has(id);
  }

  /**
   * Append whole lines (each ending in "\n") and make them durable; `ids` are their idempotency keys,
   * `callIds` those of every op of the write call (skipped ones too), remembered as the last write.
   */
  append(lines: string, ids: readonly string[], callIds: readonly string[] = ids): void {
    if (lines !== '') this.appendLines(lines, ids);
    const ledger = this.ledgerPath();
    const tmp = `${ledger}.tmp`;
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, callIds.map((id) => `${id}\n`).join(''));
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, ledger);
    this.lastWrite = new Set(callIds);
  }

  private appendLines(lines: string, ids: readonly string[]): void {
    if (this.fd !== null && (this.size >= this.o.maxFileBytes || this.now() - this.openedAt >= this.o.maxFileAgeMs)) this.publish();
    if (this.fd === null) {
      this.fd = fs.openSync(this.partPath(), 'a');
      fsyncDir(this.o.folder);
      this.size = 0;
      this.openedAt = this.now();
    }
    const buf = Buffer.from(lines, 'utf8');
    let off = 0;
    try {
      while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off, this.size + off);
      fs.fdatasyncSync(this.fd);
    } catch (e) {
      // A failed append (disk full) must not leave a torn line for the next one to follow.
      try {
        fs.ftruncateSync(this.fd, this.size);
      } catch {
        /* the torn tail is cut when the file is opened again */
      }
      throw e;
    }
    this.size += buf.length;
    for (const id of ids) this.recent.add(id);
  }

  /** Publish the part when it is due (called on a timer, so a quiet feed still publishes). */
  tick(): void {
    if (this.fd !== null && this.size > 0 && (this.size >= this.o.maxFileBytes || this.now() - this.openedAt >= this.o.maxFileAgeMs)) this.publish();
  }

  /** Close the part as a finished file: fsync, rename to `.jsonl`, fsync the folder. */
  publish(): void {
    if (this.fd === null) return;
    const part = this.partPath();
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = null;
    if (this.size === 0) {
      fs.rmSync(part, { force: true });
      return;
    }
    fs.renameSync(part, part.slice(0, -'.part'.length));
    fsyncDir(this.o.folder);
    this.previous = this.recent;
    this.recent = new Set();
    this.seq++;
    this.size = 0;
  }

  close(): void {
    this.publish();
  }
}
