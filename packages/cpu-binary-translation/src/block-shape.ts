/**
 * The block-shape decisions both block compilers make the same way: where a direct transfer
 * takes the block being compiled, and which side of a conditional branch it follows.
 */

/** Most guest instructions in one block. */
export const MAX_BLOCK_INSTRUCTIONS = 48;

/** Where the block under compilation stands: its start, its page, the instructions it holds. */
export interface BlockSite {
  /** EIP of the block's first instruction. */
  readonly start: number;
  /** The linear address of its page. */
  readonly pageBase: number;
  /** EIPs of the instructions already in the block. */
  readonly visited: ReadonlySet<number>;
}

/**
 * What a direct JMP or CALL to `target`, after `retired` instructions, does to the block: `loop`
 * back to its start, `follow` the target (in the page, within the bound), or `exit`.
 */
export function directTransfer(site: BlockSite, target: number, retired: number): 'loop' | 'follow' | 'exit' {
  if (target === site.start) return 'loop';
  if ((target & ~0xfff) === site.pageBase && retired < MAX_BLOCK_INSTRUCTIONS) return 'follow';
  return 'exit';
}

/** Whether `eip` could join the block: in its page, neither its start nor already in it. */
export function newInBlock(site: BlockSite, eip: number): boolean {
  return (eip & ~0xfff) === site.pageBase && eip !== site.start && !site.visited.has(eip);
}

/**
 * Whether the block should go on at a conditional branch's target rather than at its
 * fall-through `next`: the target is in the page, not yet in the block, within the bound, and was
 * reached more than twice as often as the fall-through while both were cold (`visits`, the
 * engine's visit counts; without them blocks always follow the fall-through).
 */
export function followsTakenSide(site: BlockSite, visits: ((eip: number) => number) | undefined, target: number, next: number, retired: number): boolean {
  if (visits === undefined || retired >= MAX_BLOCK_INSTRUCTIONS) return false;
  if (!newInBlock(site, target)) return false;
  const t = visits(target);
  return t > 0 && t > 2 * visits(next);
}
