import { PopekError } from './errors.js';

/** A claimed range of one address space. */
export interface ResourceClaim {
  /** First address. */
  readonly base: number;
  /** Number of addresses. */
  readonly size: number;
  /** Who claimed it, for messages (`com1/registers`). */
  readonly owner: string;
}

/**
 * The claims in one address space (I/O ports, guest-physical addresses, IRQ lines), for
 * "the device declares, the machine assigns": fixed requests are checked for conflicts and
 * floating requests are placed in the first free aligned gap of an allowed range.
 */
export class ResourceMap {
  readonly #claims: ResourceClaim[] = [];

  /**
   * @param space - name of the address space, for messages (`I/O port`, `MMIO`)
   * @param limit - one past the highest address
   */
  constructor(
    readonly space: string,
    readonly limit: number,
  ) {}

  /** Every claim, sorted by base. */
  get claims(): readonly ResourceClaim[] {
    return this.#claims;
  }

  /** The claim that contains `address`, if any. */
  find(address: number): ResourceClaim | undefined {
    return this.#claims.find((c) => address >= c.base && address < c.base + c.size);
  }

  /**
   * Claims `[base, base + size)` for `owner`.
   *
   * @throws {@link PopekError} (`resource-conflict`) naming both owners when the range overlaps
   *   another claim, or when it lies outside the space
   */
  claim(base: number, size: number, owner: string): ResourceClaim {
    if (!Number.isInteger(base) || !Number.isInteger(size) || size < 1 || base < 0 || base + size > this.limit) {
      throw new PopekError('resource-conflict', `${owner} asks for ${this.space} range ${hex(base)}+${size}, which lies outside the ${this.space} space.`);
    }
    const clash = this.#claims.find((c) => base < c.base + c.size && c.base < base + size);
    if (clash !== undefined) {
      throw new PopekError(
        'resource-conflict',
        `${owner} asks for ${this.space} range ${hex(base)}–${hex(base + size - 1)}, which overlaps ${clash.owner} at ${hex(clash.base)}–${hex(clash.base + clash.size - 1)}.`,
      );
    }
    const claim = { base, size, owner };
    this.#claims.push(claim);
    this.#claims.sort((a, b) => a.base - b.base);
    return claim;
  }

  /**
   * Places `size` addresses, aligned to `alignment`, in the first free gap of `[from, to)`.
   *
   * @throws {@link PopekError} (`resource-exhausted`) when no gap is large enough
   */
  allocate(size: number, alignment: number, owner: string, from = 0, to = this.limit): ResourceClaim {
    if (alignment < 1 || (alignment & (alignment - 1)) !== 0) throw new RangeError(`alignment ${alignment} is not a power of two`);
    let base = alignUp(from, alignment);
    for (const c of this.#claims) {
      if (c.base + c.size <= base) continue;
      if (c.base >= base + size) break;
      base = alignUp(c.base + c.size, alignment);
    }
    if (base + size > to) {
      throw new PopekError('resource-exhausted', `No free ${this.space} range of ${size} addresses is left for ${owner}.`);
    }
    return this.claim(base, size, owner);
  }

  /** Releases a claim (a PCI BAR being moved). */
  release(claim: ResourceClaim): void {
    const i = this.#claims.indexOf(claim);
    if (i >= 0) this.#claims.splice(i, 1);
  }
}

function alignUp(value: number, alignment: number): number {
  return Math.ceil(value / alignment) * alignment;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}
