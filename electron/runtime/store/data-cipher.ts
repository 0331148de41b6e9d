import { createCipheriv, createDecipheriv, hash, hkdfSync, randomFillSync, timingSafeEqual } from 'node:crypto';

/** Marks a value sealed by `seal` today (AES-256-CTR + HMAC-SHA-256, see below). */
export const SEALED_PREFIX = 'sc2:';
/** Marks a value sealed with AES-256-GCM, the format before `sc2:`: still read, no longer written. */
export const GCM_SEALED_PREFIX = 'sc1:';
/** Every prefix a sealed value may carry; plain JSON (what a workspace without a data key holds) never starts with one. */
export const SEALED_PREFIXES = [SEALED_PREFIX, GCM_SEALED_PREFIX] as const;

export function isSealed(stored: string): boolean {
  return stored.startsWith(SEALED_PREFIX) || stored.startsWith(GCM_SEALED_PREFIX);
}

const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;

const NONCE_BYTES = 12;
/** nonce ‖ offset, in front of the ciphertext. */
const HEADER_BYTES = NONCE_BYTES + 4;
const TAG_BYTES = 16;
/** One AES-CTR keystream (one cipher context) serves the values sealed until this much is used. */
const STREAM_BYTES = 64 * 1024;
/**
 * A value longer than this gets a keystream of its own: OpenSSL's CTR over it is cheaper than the
 * byte-wise XOR, and it leaves the shared stream to the small values it pays off for.
 */
const OWN_STREAM_BYTES = 4096;
const HMAC_BLOCK = 64;
const MAX_SCRATCH_BYTES = 1024 * 1024;
const SHA256_BYTES = 32;
const ZEROS = Buffer.alloc(STREAM_BYTES);
const KEY_INFO = 'synccanvas data-cipher sc2: aes-256-ctr key (32 bytes) then hmac-sha256 key (32 bytes)';

export class DataKeyMissingError extends Error {}

/**
 * Seals customer values where the store writes them (inbox, shadows, DLQ entries, edge history,
 * discarded DLQ entries) under the workspace's data key, and opens them on read. Sealing happens
 * only at the SQLite boundary: caches above the store hold values in clear.
 *
 * The construction (`sc2:`, docs/security.md) is encrypt-then-MAC with keys derived from the data
 * key by HKDF-SHA-256: AES-256-CTR, where one keystream under a fresh random 96-bit nonce is shared
 * by consecutive values (each gets its own never-reused byte range, recorded as its offset), and an
 * HMAC-SHA-256 tag (truncated to 128 bits) over nonce ‖ offset ‖ ciphertext ‖ context ‖ len(context).
 * AES-GCM needs a new cipher context per value (Node cannot rekey one with a new nonce), and that
 * context was most of the cost of a seal; here one context serves 64 KiB of values.
 *
 * The context (table, column and, where known, the record) is authenticated, so a sealed value copied
 * into another row or column fails to open instead of being read as that row's.
 *
 * Without a key (a workspace opened before one was loaded) values are written as plain JSON and plain
 * values are always readable, so workspaces written before encryption existed keep working; values
 * sealed with AES-256-GCM (`sc1:`) stay readable.
 */
export class DataCipher {
  // A plain Buffer, not a KeyObject: createCipheriv with a KeyObject cost half as much again per
  // call (16 vs 10 µs measured).
  private key: Buffer | null = null;
  private encKey: Buffer | null = null;
  /** The HMAC key XOR ipad, padded to the block: the first bytes of every inner hash input. */
  private ipadKey = Buffer.alloc(HMAC_BLOCK);
  /** The HMAC key XOR opad, followed by room for the inner hash: the whole outer hash input. */
  private outer = Buffer.alloc(HMAC_BLOCK + SHA256_BYTES);
  private nonce = Buffer.alloc(NONCE_BYTES);
  private stream = Buffer.alloc(0);
  /** Where the unused part of the keystream starts: bytes before it are never handed out again. */
  private streamAt = STREAM_BYTES;
  /** Inner HMAC input (ipad key ‖ nonce ‖ offset ‖ ciphertext ‖ context ‖ length), reused between calls. */
  private scratch = Buffer.alloc(4096);
  /** A nonce as drawn, then the initial counter block made from it (nonce ‖ u32be block). */
  private readonly iv = Buffer.alloc(16);

  setKey(key: Buffer): void {
    if (key.length !== 32) throw new Error(`the data key must be 32 bytes (AES-256), got ${key.length}`);
    this.key = Buffer.from(key);
    // Keys of their own for sc2: AES-GCM under the data key runs CTR under it too, and the two
    // formats' keystreams must never meet.
    const okm = Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), KEY_INFO, 64));
    this.encKey = okm.subarray(0, 32);
    const macKey = okm.subarray(32, 64);
    this.ipadKey = Buffer.alloc(HMAC_BLOCK, 0x36);
    this.outer = Buffer.alloc(HMAC_BLOCK + SHA256_BYTES);
    this.outer.fill(0x5c, 0, HMAC_BLOCK);
    for (let i = 0; i < macKey.length; i++) {
      this.ipadKey[i]! ^= macKey[i]!;
      this.outer[i]! ^= macKey[i]!;
    }
    this.ipadKey.copy(this.scratch, 0);
    // Nothing of a keystream made under the previous key is used under this one.
    this.stream = Buffer.alloc(0);
    this.streamAt = STREAM_BYTES;
  }

  get sealing(): boolean {
    return this.key !== null;
  }

  seal(plain: string, context: string): string {
    if (!this.encKey) return plain;
    const s = this.scratchFor(plain.length * 3 + context.length * 3);
    const ctAt = HMAC_BLOCK + HEADER_BYTES;
    const n = s.write(plain, ctAt, 'utf8');
    if (n > OWN_STREAM_BYTES) {
      this.newNonce().copy(s, HMAC_BLOCK);
      s.writeUInt32BE(0, HMAC_BLOCK + NONCE_BYTES);
      const c = createCipheriv('aes-256-ctr', this.encKey, this.counterBlock(0));
      c.update(s.subarray(ctAt, ctAt + n)).copy(s, ctAt);
    } else {
      if (this.streamAt + n > STREAM_BYTES) this.refill();
      const at = this.streamAt;
      // Taken before use: a throw below cannot hand these bytes out twice.
      this.streamAt += n;
      this.nonce.copy(s, HMAC_BLOCK);
      s.writeUInt32BE(at, HMAC_BLOCK + NONCE_BYTES);
      const ks = this.stream;
      for (let i = 0; i < n; i++) s[ctAt + i]! ^= ks[at + i]!;
    }
    // The context is no longer needed where the tag goes: the stored bytes are one slice.
    s.write(this.tag(s, ctAt + n, context), ctAt + n, TAG_BYTES, 'binary');
    return SEALED_PREFIX + s.toString('base64', HMAC_BLOCK, ctAt + n + TAG_BYTES);
  }

  sealOrNull(plain: string | null, context: string): string | null {
    return plain === null ? null : this.seal(plain, context);
  }

  open(stored: string, context: string): string {
    const sc2 = stored.startsWith(SEALED_PREFIX);
    if (!sc2 && !stored.startsWith(GCM_SEALED_PREFIX)) return stored;
    if (!this.key || !this.encKey) {
      throw new DataKeyMissingError(
        'this workspace holds encrypted customer data and its data key (the secret "synccanvas/data-key", or the data.key file in the workspace) was not found: give the key through the same secret provider the runtime used (keychain, vault, SYNCCANVAS_SECRET_SYNCCANVAS_DATA_KEY); see docs/security.md',
      );
    }
    const raw = Buffer.from(stored.slice(SEALED_PREFIX.length), 'base64');
    return sc2 ? this.openCtr(raw, context) : this.openGcm(raw, context);
  }

  openOrNull(stored: string | null, context: string): string | null {
    return stored === null ? null : this.open(stored, context);
  }

  private openCtr(raw: Buffer, context: string): string {
    if (raw.length < HEADER_BYTES + TAG_BYTES) throw new Error(`a sealed value in ${context} is truncated`);
    const n = raw.length - HEADER_BYTES - TAG_BYTES;
    const s = this.scratchFor(n + context.length * 3);
    raw.copy(s, HMAC_BLOCK, 0, HEADER_BYTES + n);
    const tag = Buffer.from(this.tag(s, HMAC_BLOCK + HEADER_BYTES + n, context), 'binary').subarray(0, TAG_BYTES);
    if (!timingSafeEqual(tag, raw.subarray(HEADER_BYTES + n))) throw unopenable(context);
    const offset = raw.readUInt32BE(NONCE_BYTES);
    if (offset + n <= this.streamAt && this.stream.length > 0 && raw.compare(this.nonce, 0, NONCE_BYTES, 0, NONCE_BYTES) === 0) {
      // Sealed from the keystream still in memory (a row read back soon after it was written).
      const ks = this.stream;
      for (let i = 0; i < n; i++) raw[HEADER_BYTES + i]! ^= ks[offset + i]!;
      return raw.toString('utf8', HEADER_BYTES, HEADER_BYTES + n);
    }
    const iv = Buffer.alloc(16);
    raw.copy(iv, 0, 0, NONCE_BYTES);
    iv.writeUInt32BE(offset >>> 4, NONCE_BYTES);
    const d = createDecipheriv('aes-256-ctr', this.encKey!, iv);
    // Skip to the value's first byte within its block.
    if ((offset & 15) !== 0) d.update(ZEROS.subarray(0, offset & 15));
    return d.update(raw.subarray(HEADER_BYTES, HEADER_BYTES + n)).toString('utf8');
  }

  private openGcm(raw: Buffer, context: string): string {
    if (raw.length < GCM_IV_BYTES + GCM_TAG_BYTES) throw new Error(`a sealed value in ${context} is truncated`);
    const d = createDecipheriv('aes-256-gcm', this.key!, raw.subarray(0, GCM_IV_BYTES));
    d.setAAD(Buffer.from(context, 'utf8'));
    d.setAuthTag(raw.subarray(GCM_IV_BYTES, GCM_IV_BYTES + GCM_TAG_BYTES));
    try {
      return Buffer.concat([d.update(raw.subarray(GCM_IV_BYTES + GCM_TAG_BYTES)), d.final()]).toString('utf8');
    } catch {
      throw unopenable(context);
    }
  }

  /**
   * HMAC-SHA-256 of s[64, end) ‖ context ‖ u32be(byte length of context), by its definition
   * H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)) with one-shot hashes: createHmac costs a context per call.
   * The digests travel as latin1 strings (one char per byte): `hash` returns those at half the cost
   * of a Buffer.
   */
  private tag(s: Buffer, end: number, context: string): string {
    const m = s.write(context, end, 'utf8');
    s.writeUInt32BE(m, end + m);
    this.outer.write(hash('sha256', s.subarray(0, end + m + 4), 'binary'), HMAC_BLOCK, SHA256_BYTES, 'binary');
    return hash('sha256', this.outer, 'binary');
  }

  private refill(): void {
    this.newNonce().copy(this.nonce);
    this.stream = createCipheriv('aes-256-ctr', this.encKey!, this.counterBlock(0)).update(ZEROS);
    this.streamAt = 0;
  }

  /** A fresh random nonce: in `counterBlock`'s buffer, returned for copying. */
  private newNonce(): Buffer {
    randomFillSync(this.iv, 0, NONCE_BYTES);
    return this.iv.subarray(0, NONCE_BYTES);
  }

  /** The initial counter block: the last nonce drawn ‖ u32be(block). */
  private counterBlock(block: number): Buffer {
    this.iv.writeUInt32BE(block, NONCE_BYTES);
    return this.iv;
  }

  /**
   * A buffer starting with the ipad key, with room for the header, `bytes` of ciphertext and context,
   * the length and the tag. The reused one grows to 1 MiB; a larger value gets a buffer of its own.
   */
  private scratchFor(bytes: number): Buffer {
    const need = HMAC_BLOCK + HEADER_BYTES + bytes + 4 + TAG_BYTES;
    if (this.scratch.length >= need) return this.scratch;
    const b = Buffer.alloc(need <= MAX_SCRATCH_BYTES ? Math.min(MAX_SCRATCH_BYTES, Math.max(need, this.scratch.length * 2)) : need);
    this.ipadKey.copy(b, 0);
    if (b.length <= MAX_SCRATCH_BYTES) this.scratch = b;
    return b;
  }
}

function unopenable(context: string): Error {
  return new Error(`a sealed value in ${context} could not be opened: it was sealed with another data key, or changed on disk`);
}
