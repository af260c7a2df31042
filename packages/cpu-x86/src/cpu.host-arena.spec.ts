import {
  Clock,
  Container,
  CoreClock,
  FlatPhysicalBus,
  HostArena,
  InterruptController,
  Metrics,
  MetricsRegistry,
  PhysicalBus,
  PowerControl,
  SliceExit,
  WasmHostArena,
  decodeState,
  encodeState,
} from '@popek/core';
import { Mmu, mmuModule } from '@popek/mmu';
import { describe, expect, it } from 'vitest';
import { assemble } from '../test/support/nasm.js';
import { flatProtected, makeCpu } from '../test/support/machine.js';
import { CpuOptions } from './cpu-options.js';
import { X86Cpu } from './cpu.js';
import { plugin } from './plugin.js';

/** A CPU and its MMU resolved from a container with a host arena bound. */
function arenaCpu(): { arena: WasmHostArena; bus: FlatPhysicalBus; cpu: X86Cpu; mmu: Mmu } {
  const arena = new WasmHostArena();
  arena.allocate(4); // nothing starts at byte 0 of the memory
  const bus = new FlatPhysicalBus(1 << 20);
  const c = new Container({ defaultScope: 'Singleton' });
  c.bind(HostArena).toConstantValue(arena);
  c.bind(PhysicalBus).toConstantValue(bus);
  c.bind(Metrics).toConstantValue(new MetricsRegistry());
  c.bind(Clock).toConstantValue(new CoreClock({ mode: 'deterministic' }));
  c.bind(InterruptController).toConstantValue({ hasInterrupt: () => false, acknowledge: () => 0 });
  c.bind(PowerControl).toConstantValue({ powerOff: () => {}, reset: () => {} });
  c.bind(CpuOptions).toConstantValue({});
  c.load(mmuModule, plugin.module);
  return { arena, bus, cpu: c.get(X86Cpu), mmu: c.get(Mmu) };
}

describe('X86Cpu with a host arena', () => {
  it('keeps its registers in 32 bytes of the arena\'s memory, seen through all three views', () => {
    const { arena, cpu } = arenaCpu();
    const at = cpu.regs.byteOffset;
    expect(at % 8).toBe(0);
    expect(at).toBeGreaterThan(0);
    for (const view of [cpu.regs, cpu.r16, cpu.r8]) {
      expect(view.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(view.buffer).toBe(cpu.regs.buffer);
      expect(view.byteOffset).toBe(at);
      expect(view.byteLength).toBe(32);
    }
    cpu.regs[3] = 0x1122_3344; // EBX
    const memory = new DataView(arena.memory.buffer);
    expect(memory.getInt32(at + 12, true)).toBe(0x1122_3344);
    memory.setUint8(at + 1, 0xab); // AH
    expect(cpu.r8[1]).toBe(0xab);
    expect(cpu.r16[0]).toBe(cpu.regs[0]! & 0xffff);
  });

  it('keeps its TLB (the MMU\'s) in the same memory, apart from the registers', () => {
    const { arena, cpu, mmu } = arenaCpu();
    expect(cpu.tlb).toBe(mmu.tlb);
    const tlb = cpu.tlb;
    tlb[0x10] = -5;
    expect(new DataView(arena.memory.buffer).getInt32(tlb.byteOffset + 0x40, true)).toBe(-5);
    const regsEnd = cpu.regs.byteOffset + 32;
    const tlbEnd = tlb.byteOffset + tlb.byteLength;
    expect(regsEnd <= tlb.byteOffset || tlbEnd <= cpu.regs.byteOffset).toBe(true);
  });

  it('runs a program that uses every register width, and round-trips a snapshot into the same views', () => {
    const { arena, bus, cpu } = arenaCpu();
    bus.ram.set(assemble(`bits 32\norg 0x1000\n
      mov eax, 0x12345678
      mov bx, ax
      mov ch, al
      xor edx, edx
      mov esi, 10
    l: add edx, esi
      dec esi
      jnz l
      hlt`), 0x1000);
    flatProtected(cpu, 0x1000);
    expect(cpu.runSlice(1000)).toBe(SliceExit.Halted);
    const memory = new DataView(arena.memory.buffer);
    const at = cpu.regs.byteOffset;
    expect(memory.getUint32(at, true)).toBe(0x1234_5678);
    expect(memory.getUint16(at + 12, true)).toBe(0x5678);
    expect(memory.getUint8(at + 5)).toBe(0x78);
    expect(memory.getUint32(at + 8, true)).toBe(55);

    const regs = cpu.regs;
    const saved = encodeState(cpu.saveState());
    const plain = makeCpu();
    plain.cpu.loadState(decodeState(saved));
    expect(encodeState(plain.cpu.saveState())).toEqual(saved);
    cpu.regs.fill(0);
    cpu.loadState(decodeState(saved));
    expect(cpu.regs).toBe(regs);
    expect(memory.getUint32(at + 8, true)).toBe(55);
    expect(encodeState(cpu.saveState())).toEqual(saved);
  });
});
