import {
  A20Gate,
  BootProcessorState,
  ContainerModule,
  decodeState,
  encodeState,
  FlatGuestMemory,
  GuestMemory,
  isPopekError,
  Machine,
  MemoryLayout,
  Processor,
  SliceExit,
  definePlugin,
  validateProfile,
  type MachineProfile,
  type StateValue,
} from '@popek/core';
import { describe, expect, it } from 'vitest';
import { buildAoutKernel, buildBzImage, FakeBootCpu, pcLayout, patternBytes, u32, u64 } from '../test/fixtures.js';
import { BootFirmware, bootFingerprint } from './boot-firmware.js';
import { RNG_SEED_BYTES, SETUP_RNG_SEED } from './linux-boot-loader.js';
import { AcpiOptions, BootOptions, type LinuxBootOptions } from './boot-options.js';
import { plugin } from './plugin.js';

const MiB = 0x10_0000;

/** A CPU that never runs but records the boot state; reset clears it as a real RESET would. */
class TestCpu extends FakeBootCpu implements Processor {
  readonly snapshotId = 'cpu0';
  readonly stateType = 'test:TestCpu';
  readonly stateVersion = 1;
  readonly halted = true;
  resets = 0;
  retired(): number {
    return 0;
  }
  runSlice(): SliceExit {
    return SliceExit.Halted;
  }
  reset(): void {
    this.resets++;
    this.registers = {};
  }
  requestExit(): void {}
  saveState(): StateValue {
    return { resets: this.resets };
  }
  loadState(): void {}
}

class TestA20 implements A20Gate {
  a20Enabled = false;
  setA20(enabled: boolean): void {
    this.a20Enabled = enabled;
  }
}

function testMachine(options: BootOptions | undefined, extra: { acpi?: AcpiOptions; ramBytes?: number; clock?: 'deterministic' | 'realtime' } = {}) {
  const ramBytes = extra.ramBytes ?? 32 * MiB;
  const memory = new FlatGuestMemory(ramBytes);
  const cpu = new TestCpu();
  const a20 = new TestA20();
  const cpuPlugin = definePlugin({
    id: 'test-cpu',
    kind: 'cpu',
    apiVersion: '1.0',
    provides: ['cpu'],
    requires: [],
    module: new ContainerModule(({ bind }) => {
      bind(Processor).toConstantValue(cpu);
      bind(BootProcessorState).toConstantValue(cpu);
    }),
  });
  const busPlugin = definePlugin({
    id: 'test-bus',
    kind: 'bus',
    apiVersion: '1.0',
    provides: ['bus'],
    requires: [],
    module: new ContainerModule(({ bind }) => {
      bind(GuestMemory).toConstantValue(memory);
      bind(MemoryLayout).toConstantValue(pcLayout(ramBytes));
      bind(A20Gate).toConstantValue(a20);
    }),
  });
  const profile: MachineProfile = { id: 'firmware-test', description: 'a machine to test the firmware', plugins: [cpuPlugin, busPlugin, plugin] };
  const host = new ContainerModule(({ bind }) => {
    if (options !== undefined) bind(BootOptions).toConstantValue(options);
    if (extra.acpi !== undefined) bind(AcpiOptions).toConstantValue(extra.acpi);
  });
  const build = (): Machine => Machine.build(profile, { modules: [host], clock: { mode: extra.clock ?? 'deterministic' } });
  return { memory, cpu, a20, build, profile };
}

function linux(extra: Partial<LinuxBootOptions> = {}): LinuxBootOptions {
  return { kind: 'linux', kernel: buildBzImage({ payload: patternBytes(0x4000, 4) }), initrd: patternBytes(0x3000, 5), cmdline: 'console=ttyS0', ...extra };
}

function buildError(f: () => unknown): { code: string; message: string } {
  try {
    f();
  } catch (e) {
    if (isPopekError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected a PopekError');
}

describe('the firmware plugin in a machine', () => {
  it('declares a firmware plugin that provides the boot loader and ACPI tables and needs a bus and a CPU', () => {
    expect(plugin).toMatchObject({ id: '@popek/firmware', kind: 'firmware', provides: ['boot-loader', 'acpi-tables'], requires: ['bus', 'cpu'] });
    expect(() => validateProfile(testMachine(linux()).profile)).not.toThrow();
  });

  it('loads the kernel and sets the CPU at power-on, after the CPU reset', () => {
    const t = testMachine(linux());
    const machine = t.build();
    expect(t.cpu.resets).toBe(1);
    expect(t.cpu.registers).toMatchObject({ eip: 0x10_0000, esi: 0x7000, eflags: 2 });
    expect(t.cpu.segments.cs?.selector).toBe(0x10);
    expect([...t.memory.bytes.subarray(0x10_0000, 0x10_4000)]).toEqual([...patternBytes(0x4000, 4)]);
    expect(String.fromCharCode(...t.memory.bytes.subarray(0xe_0000, 0xe_0008))).toBe('RSD PTR ');
    expect(u64(t.memory.bytes, 0x7000 + 0x70)).toBe(0xe_0000);
    expect(t.a20.a20Enabled).toBe(true);
    machine.dispose();
  });

  it('fails Machine.build with the image error before the CPU is touched', () => {
    const t = testMachine(linux({ kernel: buildBzImage({ magic: 0x1234 }), kernelName: '/boot/vmlinuz' }));
    const f = buildError(() => t.build());
    expect(f.code).toBe('kernel-not-linux');
    expect(f.message).toMatch(/^\/boot\/vmlinuz is not a Linux kernel image: it has no 'HdrS' boot header/);
    expect(t.cpu.resets).toBe(0);
    expect(t.cpu.calls).toEqual([]);
  });

  it('fails Machine.build when the kernel and initrd do not fit the memory', () => {
    const t = testMachine(linux({ initrd: new Uint8Array(40 * MiB) }));
    expect(buildError(() => t.build()).code).toBe('initrd-too-large');
  });

  it('fails Machine.build without a boot image, and with malformed boot options', () => {
    expect(buildError(() => testMachine(undefined).build()).code).toBe('kernel-missing');
    const bad = { kind: 'linux', kernel: 'vmlinuz', cmdline: '' } as unknown as BootOptions;
    expect(buildError(() => testMachine(bad).build()).message).toContain("'kernel' must be the image's bytes");
    expect(buildError(() => testMachine(linux(), { acpi: { enabled: 'yes' } as unknown as AcpiOptions }).build()).code).toBe('acpi-options-invalid');
  });

  it('reloads the image on every reset, repairing what the guest overwrote', () => {
    const t = testMachine(linux());
    const machine = t.build();
    const before = t.memory.bytes.slice();
    t.memory.bytes.fill(0, 0x10_0000, 0x10_4000);
    t.memory.bytes.fill(0, 0xe_0000, 0xe_0400);
    t.a20.a20Enabled = false;
    machine.reset();
    expect(t.cpu.resets).toBe(2);
    expect(t.cpu.registers['eip']).toBe(0x10_0000);
    expect(Buffer.compare(t.memory.bytes, before)).toBe(0);
    expect(t.a20.a20Enabled).toBe(true);
    machine.dispose();
  });

  it('gives a Linux kernel the same random seed at every boot in deterministic mode, and a fresh one in realtime mode', () => {
    const seedOf = (t: ReturnType<typeof testMachine>): string => Buffer.from(t.memory.bytes.subarray(0x8010, 0x8010 + RNG_SEED_BYTES)).toString('hex');
    const a = testMachine(linux());
    const machineA = a.build();
    const first = seedOf(a);
    expect(u32(a.memory.bytes, 0x8008)).toBe(SETUP_RNG_SEED);
    expect(first).not.toBe('00'.repeat(RNG_SEED_BYTES));
    machineA.reset();
    expect(seedOf(a)).toBe(first);
    const b = testMachine(linux());
    const machineB = b.build();
    expect(seedOf(b)).toBe(first);
    const c = testMachine(linux({ cmdline: 'console=ttyS0 quiet' }));
    const machineC = c.build();
    expect(seedOf(c)).not.toBe(first);

    const r = testMachine(linux(), { clock: 'realtime' });
    const machineR = r.build();
    const boot1 = seedOf(r);
    machineR.reset();
    expect(seedOf(r)).not.toBe(boot1);
    expect([boot1, seedOf(r)]).not.toContain(first);
    for (const m of [machineA, machineB, machineC, machineR]) m.dispose();
  });

  it('writes no ACPI tables and no RSDP pointer when ACPI is disabled', () => {
    const t = testMachine(linux(), { acpi: { enabled: false } });
    t.build().dispose();
    expect(t.memory.bytes.subarray(0xe_0000, 0xe_0100).every((b) => b === 0)).toBe(true);
    expect(u64(t.memory.bytes, 0x7000 + 0x70)).toBe(0);
  });

  it('boots a Multiboot kernel through the same plugin', () => {
    const kernel = buildAoutKernel({ loadAddr: 0x10_0000, entry: 0x10_0080 });
    const t = testMachine({ kind: 'multiboot', kernel, cmdline: 'kernel', modules: [{ data: patternBytes(100, 1), cmdline: 'mod' }] });
    t.build().dispose();
    expect(t.cpu.registers['eax']).toBe(0x2bad_b002);
    expect(t.cpu.registers['eip']).toBe(0x10_0080);
    expect(u32(t.memory.bytes, t.cpu.registers['ebx']! + 20)).toBe(1); // mods_count
  });

  it('round-trips its snapshot state: save, construct fresh, load, save gives the same encoding', () => {
    const options = linux();
    const a = new BootFirmware(new FlatGuestMemory(32 * MiB), pcLayout(32 * MiB), new FakeBootCpu(), options, undefined, undefined);
    const saved = encodeState(a.saveState());
    const b = new BootFirmware(new FlatGuestMemory(32 * MiB), pcLayout(32 * MiB), new FakeBootCpu(), options, undefined, undefined);
    b.loadState(decodeState(saved));
    expect(Buffer.compare(encodeState(b.saveState()), saved)).toBe(0);
    expect(a.saveState()).toEqual(bootFingerprint(options));
  });

  it('round-trips a whole-machine snapshot, and refuses one taken with another kernel', async () => {
    const first = testMachine(linux()).build();
    const snapshot = await first.saveSnapshot();
    const second = testMachine(linux()).build();
    await second.restoreSnapshot(snapshot);
    expect(Buffer.compare(await second.saveSnapshot(), snapshot)).toBe(0);
    const other = testMachine(linux({ cmdline: 'console=ttyS0 quiet' })).build();
    await expect(other.restoreSnapshot(snapshot)).rejects.toMatchObject({ code: 'snapshot-mismatch' });
    for (const m of [first, second, other]) m.dispose();
  });
});
