import {
  Container,
  FlatPhysicalBus,
  Metrics,
  MetricsRegistry,
  PhysicalBus,
  SnapshotContribution,
  isApiCompatible,
} from '@popek/core';
import { describe, expect, it } from 'vitest';
import { DirectStrategy } from './direct-strategy.js';
import { Mmu } from './mmu.js';
import { mmuModule } from './mmu-module.js';
import { MmuStrategy } from './mmu-strategy.js';
import { plugin } from './plugin.js';
import { AccessKind } from './tlb-flag.js';

function container(): Container {
  const c = new Container({ defaultScope: 'Singleton' });
  c.bind(PhysicalBus).toConstantValue(new FlatPhysicalBus(1 << 20));
  c.bind(Metrics).toConstantValue(new MetricsRegistry());
  c.load(mmuModule);
  return c;
}

describe('the mmu module', () => {
  it('binds one Mmu with the direct strategy and contributes it to snapshots', () => {
    const c = container();
    const mmu = c.get(Mmu);
    expect(c.get(Mmu)).toBe(mmu);
    expect(c.get(MmuStrategy)).toBeInstanceOf(DirectStrategy);
    expect(mmu.strategy).toBe(c.get(MmuStrategy));
    expect(c.getAll(SnapshotContribution)).toEqual([mmu]);
    expect(mmu.translate(0x1234, AccessKind.Read, false)).toBe(0x1234);
  });

  it('counts into the machine metrics registry', () => {
    const c = container();
    c.get(Mmu).translate(0x1234, AccessKind.Write, false);
    expect(c.get(Metrics).value('mmu.tlb.misses', { kind: 'write' })).toBe(1);
  });
});

describe('the plugin descriptor', () => {
  it('provides the mmu capability, requires the bus and carries the module', () => {
    expect(plugin.id).toBe('@popek/mmu');
    expect(plugin.kind).toBe('mmu');
    expect(plugin.provides).toEqual(['mmu']);
    expect(plugin.requires).toEqual(['bus']);
    expect(plugin.module).toBe(mmuModule);
    expect(isApiCompatible(plugin.apiVersion)).toBe(true);
  });
});
