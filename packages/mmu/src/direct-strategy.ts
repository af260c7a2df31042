import { injectable } from '@popek/core';
import type { Mmu } from './mmu.js';
import type { FlushReason, MmuStrategy } from './mmu-strategy.js';
import { PageWalker } from './page-walker.js';
import type { AccessKind } from './tlb-flag.js';

/**
 * The baseline MMU strategy: every miss walks the guest's own page tables, as the hardware does,
 * and the result goes straight into the TLB. It keeps no state of its own, so control-register
 * writes, INVLPG and flushes need nothing beyond what the {@link Mmu} already does.
 */
@injectable()
export class DirectStrategy implements MmuStrategy {
  /** The strategy's name. */
  readonly name = 'direct';
  #mmu: Mmu | undefined;
  #walker: PageWalker | undefined;

  /** Creates the walker for `mmu`. */
  attach(mmu: Mmu): void {
    if (this.#mmu !== undefined && this.#mmu !== mmu) throw new Error('a DirectStrategy serves one MMU');
    this.#mmu = mmu;
    this.#walker = new PageWalker(mmu, mmu.metrics);
  }

  /** Walks the guest tables (identity with paging off) and fills the TLB. */
  resolve(linear: number, kind: AccessKind, user: boolean): number {
    const mmu = this.#mmu!;
    const walker = this.#walker!;
    if (!walker.walk(linear, kind, user)) return mmu.pageFault(walker.errorCode, linear);
    mmu.fill(linear, walker.pagePhysical, walker.access, walker.global, walker.largePage);
    return walker.pagePhysical + (linear & 0xfff);
  }

  /** Nothing to do: the MMU flushed the TLB. */
  controlChanged(_change: number): void {}

  /** Nothing to do: the MMU dropped the page. */
  invalidatePage(_linear: number): void {}

  /** Nothing to do: the strategy caches nothing. */
  invalidateAll(_reason: FlushReason): void {}

  /** Nothing to do: guest page tables are read afresh on every walk. */
  physicalWrite(_physical: number, _width: number): void {}
}
