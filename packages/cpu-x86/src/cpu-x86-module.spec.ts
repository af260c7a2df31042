import { BootProcessorState, Clock, Container, CoreClock, FlatPhysicalBus, InterruptController, Metrics, MetricsRegistry, NmiLine, PhysicalBus, PowerControl, Processor } from '@popek/core';
import { mmuModule } from '@popek/mmu';
import { describe, expect, it } from 'vitest';
import { CpuOptions } from './cpu-options.js';
import { X86Cpu } from './cpu.js';
import { plugin } from './plugin.js';

function container(): Container {
  const c = new Container({ defaultScope: 'Singleton' });
  c.bind(PhysicalBus).toConstantValue(new FlatPhysicalBus(1 << 20));
  c.bind(Metrics).toConstantValue(new MetricsRegistry());
  c.bind(Clock).toConstantValue(new CoreClock({ mode: 'deterministic' }));
  c.bind(InterruptController).toConstantValue({ hasInterrupt: () => false, acknowledge: () => 0 });
  c.bind(PowerControl).toConstantValue({ powerOff: () => {}, reset: () => {} });
  c.bind(CpuOptions).toConstantValue({});
  c.load(mmuModule, plugin.module);
  return c;
}

describe('cpu-x86 module and plugin', () => {
  it('binds one CPU for the Processor, BootProcessorState and NmiLine roles', () => {
    const c = container();
    const cpu = c.get(X86Cpu);
    expect(c.get(Processor)).toBe(cpu);
    expect(c.get(BootProcessorState)).toBe(cpu);
    expect(c.get(NmiLine)).toBe(cpu);
  });

  it('declares a cpu plugin that needs a bus, an MMU and an interrupt controller', () => {
    expect(plugin.kind).toBe('cpu');
    expect(plugin.provides).toEqual(['cpu']);
    expect([...plugin.requires].sort()).toEqual(['bus', 'interrupt-controller', 'mmu']);
  });

  it('resets to real mode at F000:FFF0 when resolved', () => {
    const cpu = container().get(X86Cpu);
    expect(cpu.protectedMode).toBe(false);
    expect(cpu.segBase[1]! >>> 0).toBe(0xffff0000);
    expect(cpu.eip).toBe(0xfff0);
  });
});
