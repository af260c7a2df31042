import { ContainerModule, SnapshotContribution, type ContainerModuleLoadOptions } from '@popek/core';
import { DirectStrategy } from './direct-strategy.js';
import { Mmu } from './mmu.js';
import { MmuStrategy } from './mmu-strategy.js';

/**
 * Binds the {@link Mmu} once and contributes it to the snapshot. Strategy packages (shadow,
 * nested) call this from their own module and bind their strategy to {@link MmuStrategy}, so a
 * machine has exactly one MMU whatever the technique.
 */
export function bindMmu(bind: ContainerModuleLoadOptions['bind']): void {
  bind(Mmu).toSelf().inSingletonScope();
  bind(SnapshotContribution).toService(Mmu);
}

/** The MMU with the direct strategy: the guest's page tables are walked as hardware does. */
export const mmuModule = new ContainerModule(({ bind }) => {
  bindMmu(bind);
  bind(DirectStrategy).toSelf().inSingletonScope();
  bind(MmuStrategy).toService(DirectStrategy);
});
