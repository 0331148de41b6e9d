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
 * - Every line carries its write's idempotency key (`id`). On open, a torn last line of the part
 *   (killed mid-append) is cut off, and the ids in the part and in the newest published file are
 *   remembered: the batch the engine sends again after a crash is the last one, so it is in one of
 *   them, and its lines are skipped instead of written twice.
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
    const part = found.find((x) => x.part);
    this.seq = Math.max(part?.seq ?? 0, (newest?.seq ?? 0) + 1, 1);
    if (part) this.repairAndOpen(path.join(o.folder, part.f));
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
    return this.recent.has(id) || this.previous.has(id);
  }

  /** Append whole lines (each ending in "\n") and make them durable; `ids` are their idempotency keys. */
  append(lines: string, ids: readonly string[]): void {
    if (lines === '') return;
    if (this.fd !== null && (this.size >= this.o.maxFileBytes || this.now() - this.openedAt >= this.o.maxFileAgeMs)) this.publish();
    if (this.fd === null) {
      this.fd = fs.openSync(this.partPath(), 'a');
      fsyncDir(this.o.folder);
      this.size = 0;
      this.openedAt = this.now();
    }
    const buf = Buffer.from(lines, 'utf8');
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off, buf.length - off, this.size + off);
    fs.fdatasyncSync(this.fd);
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
