import { GuestImageError } from './guest-error.js';

/** Corrupt LZMA data: the compressed stream contradicts itself or its container. */
export class LzmaDataError extends GuestImageError {
  /**
   * @param message - what is wrong
   */
  constructor(message: string) {
    super('format', `corrupt LZMA data: ${message}`);
  }
}

// Layout of the single probability array. Each model is a run of 11-bit probabilities.
const NUM_STATES = 12;
const POS_STATES_MAX = 16; // 1 << kNumPosBitsMax
const IS_MATCH = 0; // [state][posState]
const IS_REP = IS_MATCH + NUM_STATES * POS_STATES_MAX;
const IS_REP_G0 = IS_REP + NUM_STATES;
const IS_REP_G1 = IS_REP_G0 + NUM_STATES;
const IS_REP_G2 = IS_REP_G1 + NUM_STATES;
const IS_REP0_LONG = IS_REP_G2 + NUM_STATES; // [state][posState]
const POS_SLOT = IS_REP0_LONG + NUM_STATES * POS_STATES_MAX; // [lenState][64]
const SPEC_POS = POS_SLOT + 4 * 64; // 1 + kNumFullDistances - kEndPosModelIndex = 115
const ALIGN = SPEC_POS + 115; // 16
// A length coder: choice, choice2, low[16][8], mid[16][8], high[256].
const LEN_CHOICE = 0;
const LEN_CHOICE2 = 1;
const LEN_LOW = 2;
const LEN_MID = LEN_LOW + POS_STATES_MAX * 8;
const LEN_HIGH = LEN_MID + POS_STATES_MAX * 8;
const LEN_CODER_SIZE = LEN_HIGH + 256;
const MATCH_LEN = ALIGN + 16;
const REP_LEN = MATCH_LEN + LEN_CODER_SIZE;
const LITERAL = REP_LEN + LEN_CODER_SIZE; // [(lc+lp) states][0x300]
const PROBS_SIZE = LITERAL + 0x300 * 16; // lc + lp <= 4 in LZMA2

const END_POS_MODEL_INDEX = 14;
const PROB_INIT = 1024; // half of 1 << 11

/**
 * The LZMA decoding core behind LZMA2: a range decoder, the literal/match/rep models and a
 * circular dictionary window. It decodes whole LZMA2 chunks (at most 2 MiB of output each, whose
 * compressed bytes the caller has buffered completely), so it never needs to suspend mid-symbol.
 * Decoded bytes are handed out as copies through {@link LzmaDecoder.takeOutput}.
 *
 * The decoder never reads outside the input range it is given: running out of input inside a
 * chunk, a distance past the decoded data, or a match that overruns the chunk is reported as
 * {@link LzmaDataError}.
 */
export class LzmaDecoder {
  private readonly probs = new Uint16Array(PROBS_SIZE);
  private win: Uint8Array;
  private winSize: number;
  private readonly maxWinSize: number;
  private pos = 0;
  private flushStart = 0;
  /** Bytes decoded since the last dictionary reset, capped at the window size. */
  private full = 0;
  private out: Uint8Array[] = [];

  private lc = 0;
  private lp = 0;
  private pb = 0;
  private state = 0;
  private rep0 = 0;
  private rep1 = 0;
  private rep2 = 0;
  private rep3 = 0;

  private range = 0;
  private code = 0;
  private inBuf: Uint8Array = new Uint8Array(0);
  private inPos = 0;
  private inEnd = 0;

  /**
   * @param windowSize - the dictionary size in bytes (rounded up to a multiple of 4096). The
   *   window starts at up to 1 MiB and grows as data arrives, so a small stream compressed with a
   *   large dictionary does not allocate all of it.
   */
  constructor(windowSize: number) {
    this.maxWinSize = Math.max(4096, Math.ceil(windowSize / 4096) * 4096);
    this.winSize = Math.min(this.maxWinSize, 1 << 20);
    this.win = new Uint8Array(this.winSize);
  }

  /** The dictionary size in bytes (the largest the window grows to). */
  get windowSize(): number {
    return this.maxWinSize;
  }

  /** Forgets all decoded history (an LZMA2 dictionary reset). */
  resetDictionary(): void {
    this.flush();
    this.pos = 0;
    this.flushStart = 0;
    this.full = 0;
  }

  /**
   * Sets the literal context bits, literal position bits and position bits.
   *
   * @throws {@link LzmaDataError} if they are out of range for LZMA2 (lc + lp > 4 or pb > 4)
   */
  setProperties(lc: number, lp: number, pb: number): void {
    if (lc + lp > 4 || pb > 4) {
      throw new LzmaDataError(`invalid properties lc=${lc} lp=${lp} pb=${pb} (LZMA2 needs lc+lp <= 4, pb <= 4)`);
    }
    this.lc = lc;
    this.lp = lp;
    this.pb = pb;
  }

  /** Resets the probability models, the state and the repeat distances (an LZMA2 state reset). */
  resetState(): void {
    this.probs.fill(PROB_INIT);
    this.state = 0;
    this.rep0 = this.rep1 = this.rep2 = this.rep3 = 0;
  }

  /** Returns and forgets the output decoded since the last call. */
  takeOutput(): Uint8Array[] {
    this.flush();
    const out = this.out;
    this.out = [];
    return out;
  }

  /**
   * Appends stored (uncompressed) bytes to the dictionary, as an LZMA2 uncompressed chunk does.
   */
  appendUncompressed(input: Uint8Array, start: number, end: number): void {
    let i = start;
    while (i < end) {
      const n = Math.min(end - i, this.winSize - this.pos);
      this.win.set(input.subarray(i, i + n), this.pos);
      this.pos += n;
      i += n;
      this.full = Math.min(this.maxWinSize, this.full + n);
      if (this.pos === this.winSize) this.wrap();
    }
  }

  private flush(): void {
    if (this.pos > this.flushStart) {
      this.out.push(this.win.slice(this.flushStart, this.pos));
      this.flushStart = this.pos;
    }
  }

  /**
   * Called when the write position reaches the end of the window: grows the window if it is
   * below the dictionary size (its data is then still linear, as it never wrapped), else flushes
   * and wraps to the start. Callers must reload `win` and `winSize` afterwards.
   */
  private wrap(): void {
    if (this.winSize < this.maxWinSize) {
      const bigger = new Uint8Array(Math.min(this.maxWinSize, this.winSize * 2));
      bigger.set(this.win);
      this.win = bigger;
      this.winSize = bigger.length;
      return;
    }
    this.flush();
    this.pos = 0;
    this.flushStart = 0;
  }

  private normalize(): void {
    if (this.inPos >= this.inEnd) throw new LzmaDataError('compressed chunk ended in the middle of a symbol');
    this.range = this.range << 8;
    this.code = (this.code << 8) | this.inBuf[this.inPos++]!;
  }

  // The range coder's `range` and `code` are unsigned 32-bit quantities kept in int32 form (so
  // that V8 keeps them as small integers); unsigned comparisons flip the sign bit first.
  private bit(i: number): number {
    const probs = this.probs;
    const p = probs[i]!;
    const bound = Math.imul(this.range >>> 11, p);
    if ((this.code ^ 0x80000000) < (bound ^ 0x80000000)) {
      this.range = bound;
      probs[i] = p + ((2048 - p) >>> 5);
      if (this.range >>> 24 === 0) this.normalize();
      return 0;
    }
    this.range = (this.range - bound) | 0;
    this.code = (this.code - bound) | 0;
    probs[i] = p - (p >>> 5);
    if (this.range >>> 24 === 0) this.normalize();
    return 1;
  }

  private bitTree(base: number, numBits: number): number {
    let m = 1;
    for (let i = 0; i < numBits; i++) m = (m << 1) | this.bit(base + m);
    return m - (1 << numBits);
  }

  private reverseBitTree(base: number, numBits: number): number {
    let m = 1;
    let symbol = 0;
    for (let i = 0; i < numBits; i++) {
      const b = this.bit(base + m);
      m = (m << 1) | b;
      symbol |= b << i;
    }
    return symbol;
  }

  private directBits(numBits: number): number {
    let result = 0;
    for (let i = 0; i < numBits; i++) {
      this.range = this.range >>> 1;
      // code < 2 * range, so code - range is negative exactly when the bit is 0.
      const code = (this.code - this.range) | 0;
      const t = code >> 31;
      this.code = (code + (this.range & t)) | 0;
      result = result * 2 + (t + 1);
      if (this.range >>> 24 === 0) this.normalize();
    }
    return result;
  }

  private decodeLen(base: number, posState: number): number {
    if (this.bit(base + LEN_CHOICE) === 0) return this.bitTree(base + LEN_LOW + posState * 8, 3);
    if (this.bit(base + LEN_CHOICE2) === 0) return 8 + this.bitTree(base + LEN_MID + posState * 8, 3);
    return 16 + this.bitTree(base + LEN_HIGH, 8);
  }

  private decodeDistance(len: number): number {
    const lenState = len < 3 ? len : 3;
    const posSlot = this.bitTree(POS_SLOT + lenState * 64, 6);
    if (posSlot < 4) return posSlot;
    const numDirectBits = (posSlot >>> 1) - 1;
    let dist = ((2 | (posSlot & 1)) << numDirectBits) >>> 0;
    if (posSlot < END_POS_MODEL_INDEX) {
      dist += this.reverseBitTree(SPEC_POS + dist - posSlot, numDirectBits);
    } else {
      dist += this.directBits(numDirectBits - 4) * 16;
      dist += this.reverseBitTree(ALIGN, 4);
    }
    return dist;
  }

  /**
   * Decodes one LZMA chunk: exactly `outSize` bytes from exactly the compressed bytes
   * `input[start, end)`, which start with the 5-byte range-coder initialisation.
   *
   * @throws {@link LzmaDataError} if the data is corrupt or does not end exactly at `end`
   */
  decodeChunk(input: Uint8Array, start: number, end: number, outSize: number): void {
    if (end - start < 5) throw new LzmaDataError('compressed chunk is shorter than the range coder header');
    if (input[start] !== 0) throw new LzmaDataError('range coder header does not start with a zero byte');
    this.code = (input[start + 1]! << 24) | (input[start + 2]! << 16) | (input[start + 3]! << 8) | input[start + 4]!;
    this.range = -1; // 0xffffffff
    if (this.code === -1) throw new LzmaDataError('invalid range coder initial value');
    this.inBuf = input;
    this.inPos = start + 5;
    this.inEnd = end;

    let win = this.win;
    let winSize = this.winSize;
    const maxWinSize = this.maxWinSize;
    const lc = this.lc;
    const lcShift = 8 - lc;
    const lpMask = (1 << this.lp) - 1;
    const pbMask = (1 << this.pb) - 1;
    let pos = this.pos;
    let full = this.full;
    let state = this.state;
    let rep0 = this.rep0;
    let rep1 = this.rep1;
    let rep2 = this.rep2;
    let rep3 = this.rep3;
    let remaining = outSize;

    while (remaining > 0) {
      const posState = pos & pbMask;
      if (this.bit(IS_MATCH + (state << 4) + posState) === 0) {
        // Literal.
        const prev = full === 0 ? 0 : win[(pos === 0 ? winSize : pos) - 1]!;
        const base = LITERAL + 0x300 * (((pos & lpMask) << lc) + (prev >>> lcShift));
        let symbol = 1;
        if (state >= 7) {
          let src = pos - rep0 - 1;
          if (src < 0) src += winSize;
          let matchByte = win[src]!;
          do {
            const matchBit = (matchByte >>> 7) & 1;
            matchByte <<= 1;
            const b = this.bit(base + ((1 + matchBit) << 8) + symbol);
            symbol = (symbol << 1) | b;
            if (matchBit !== b) break;
          } while (symbol < 0x100);
        }
        if (symbol < 0x100) {
          // The plain literal loop is the hottest path: run the range decoder on locals here.
          const probs = this.probs;
          const inBuf = this.inBuf;
          const inEnd = this.inEnd;
          let range = this.range;
          let code = this.code;
          let inPos = this.inPos;
          do {
            const i = base + symbol;
            const p = probs[i]!;
            const bound = Math.imul(range >>> 11, p);
            if ((code ^ 0x80000000) < (bound ^ 0x80000000)) {
              range = bound;
              probs[i] = p + ((2048 - p) >>> 5);
              symbol <<= 1;
            } else {
              range = (range - bound) | 0;
              code = (code - bound) | 0;
              probs[i] = p - (p >>> 5);
              symbol = (symbol << 1) | 1;
            }
            if (range >>> 24 === 0) {
              if (inPos >= inEnd) throw new LzmaDataError('compressed chunk ended in the middle of a symbol');
              range <<= 8;
              code = (code << 8) | inBuf[inPos++]!;
            }
          } while (symbol < 0x100);
          this.range = range;
          this.code = code;
          this.inPos = inPos;
        }
        win[pos++] = symbol & 0xff;
        if (pos === winSize) {
          this.pos = pos;
          this.wrap();
          pos = this.pos;
          win = this.win;
          winSize = this.winSize;
        }
        if (full < maxWinSize) full++;
        remaining--;
        state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }

      let len: number;
      if (this.bit(IS_REP + state) === 0) {
        // Simple match with a new distance.
        len = this.decodeLen(MATCH_LEN, posState);
        state = state < 7 ? 7 : 10;
        const dist = this.decodeDistance(len);
        if (dist === 0xffffffff) throw new LzmaDataError('unexpected end-of-stream marker inside an LZMA2 chunk');
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;
        rep0 = dist;
      } else {
        if (this.bit(IS_REP_G0 + state) === 0) {
          if (this.bit(IS_REP0_LONG + (state << 4) + posState) === 0) {
            // Short rep: one byte at distance rep0.
            if (rep0 >= full) throw new LzmaDataError('repeat distance points before the start of the data');
            state = state < 7 ? 9 : 11;
            let src = pos - rep0 - 1;
            if (src < 0) src += winSize;
            win[pos++] = win[src]!;
            if (pos === winSize) {
              this.pos = pos;
              this.wrap();
              pos = this.pos;
              win = this.win;
              winSize = this.winSize;
            }
            if (full < maxWinSize) full++;
            remaining--;
            continue;
          }
        } else {
          let dist: number;
          if (this.bit(IS_REP_G1 + state) === 0) {
            dist = rep1;
          } else {
            if (this.bit(IS_REP_G2 + state) === 0) {
              dist = rep2;
            } else {
              dist = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          rep1 = rep0;
          rep0 = dist;
        }
        len = this.decodeLen(REP_LEN, posState);
        state = state < 7 ? 8 : 11;
      }

      len += 2;
      if (rep0 >= full) throw new LzmaDataError(`match distance ${rep0 + 1} points before the start of the data`);
      if (len > remaining) throw new LzmaDataError('match runs past the end of the chunk');
      remaining -= len;
      full = Math.min(maxWinSize, full + len);
      let src = pos - rep0 - 1;
      if (src < 0) src += winSize;
      while (len > 0) {
        // Copy in runs that neither wrap the source nor the destination.
        const n = Math.min(len, winSize - pos, winSize - src);
        if (src + n <= pos || pos + n <= src) {
          if (n > 16) {
            win.copyWithin(pos, src, src + n);
          } else {
            for (let k = 0; k < n; k++) win[pos + k] = win[src + k]!;
          }
        } else {
          // Overlapping: LZ77 semantics repeat the bytes just written.
          for (let k = 0; k < n; k++) win[pos + k] = win[src + k]!;
        }
        pos += n;
        src += n;
        len -= n;
        if (src === winSize) src = 0;
        if (pos === winSize) {
          this.pos = pos;
          this.wrap();
          pos = this.pos;
          win = this.win;
          winSize = this.winSize;
        }
      }
    }

    this.pos = pos;
    this.full = full;
    this.state = state;
    this.rep0 = rep0;
    this.rep1 = rep1;
    this.rep2 = rep2;
    this.rep3 = rep3;
    if (this.inPos !== this.inEnd || this.code !== 0) {
      throw new LzmaDataError('chunk did not end where its header says');
    }
    this.flush();
  }
}
