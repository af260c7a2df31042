import {
  CORE_API_VERSION,
  Capability,
  ContainerModule,
  FlatPhysicalBus,
  LifecycleContribution,
  Machine,
  PhysicalBus,
  definePlugin,
  encodeState,
  inject,
  injectable,
  type MachineProfile,
} from '@popek/core';
import { describe, expect, it } from 'vitest';
import { Mmu } from './mmu.js';
import { Cr0, Cr4, PageEntry } from './paging-bits.js';
import { PagingMode } from './paging-mode.js';
import { plugin } from './plugin.js';
import { AccessKind } from './tlb-flag.js';

/** Hands the machine's Mmu to the test (machines expose no container, by design). */
@injectable()
class MmuProbe implements LifecycleContribution {
  static last: Mmu | undefined;
  constructor(@inject(Mmu) mmu: Mmu) {
    MmuProbe.last = mmu;
  }
}

const testBusPlugin = definePlugin({
  id: '@popek/test-flat-bus',
  kind: 'bus',
  apiVersion: CORE_API_VERSION,
  provides: [Capability.Bus],
  requires: [],
  module: new ContainerModule(({ bind }) => {
    bind(PhysicalBus).toConstantValue(new FlatPhysicalBus(4 << 20));
    bind(MmuProbe).toSelf();
    bind(LifecycleContribution).toService(MmuProbe);
  }),
});

const profile: MachineProfile = {
  id: 'mmu-test',
  description: 'a bus and the MMU, no CPU',
  plugins: [testBusPlugin, plugin],
  requires: ['bus', 'mmu'],
};

function build(): { machine: Machine; mmu: Mmu } {
  const machine = Machine.build(profile, { clock: { mode: 'deterministic' }, hostTime: { now: () => 0 } });
  return { machine, mmu: MmuProbe.last! };
}

describe('the MMU in a machine', () => {
  it('is assembled from its plugin and saved and restored with the machine, byte for byte', async () => {
    const a = build();
    const bus = a.mmu.bus;
    for (let i = 0; i < 4; i++) bus.writePhysical(0x1000 + i * 8, 4, (0x2000 + i * 0x1000) | PageEntry.P);
    bus.writePhysical(0x2000 + 8 * 2, 4, 0x0020_0000 | PageEntry.P | PageEntry.RW | PageEntry.PS);
    a.mmu.setControl(Cr0.PG | Cr0.PE, 0x1000, Cr4.PAE, 0);
    expect(a.mmu.translate(0x0040_1234, AccessKind.Read, false)).toBe(0x0020_1234);
    const snapshot = await a.machine.saveSnapshot();

    const b = build();
    expect(b.mmu).not.toBe(a.mmu);
    await b.machine.restoreSnapshot(snapshot);
    expect(b.mmu.pagingMode).toBe(PagingMode.Pae);
    expect(encodeState(b.mmu.saveState())).toEqual(encodeState(a.mmu.saveState()));
    expect(await b.machine.saveSnapshot()).toEqual(snapshot);
  });
});
