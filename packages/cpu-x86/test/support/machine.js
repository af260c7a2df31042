import { CoreClock, FlatPhysicalBus, MetricsRegistry } from '@popek/core';
import { X86Cpu } from '../../src/cpu.js';
import { IdentityMmu } from './identity-mmu.js';
/** A programmable interrupt source for tests. */
export class TestPic {
    pending = [];
    hasInterrupt() {
        return this.pending.length > 0;
    }
    acknowledge() {
        return this.pending.shift() ?? 0;
    }
}
/** Records power requests. */
export class TestPower {
    resets = [];
    powerOffs = 0;
    powerOff() {
        this.powerOffs++;
    }
    reset(reason) {
        this.resets.push(reason);
    }
}
/** Builds a test CPU. */
export function makeCpu(ramBytes = 16 << 20, options = {}, mmuFactory) {
    const bus = new FlatPhysicalBus(ramBytes);
    const mmu = mmuFactory ? mmuFactory(bus) : new IdentityMmu(bus);
    const pic = new TestPic();
    const power = new TestPower();
    const clock = new CoreClock({ mode: 'deterministic' });
    const metrics = new MetricsRegistry();
    const cpu = new X86Cpu(bus, mmu, pic, power, clock, metrics, options);
    clock.setInstructionCounter(cpu);
    return { cpu, bus, pic, power, clock, metrics, mmu };
}
/** Puts the CPU in flat 32-bit protected mode at `cpl` (0 or 3), paging off, at `eip`. */
export function flatProtected(cpu, eip, cpl = 0, esp = 0x8000) {
    cpu.setControlRegister(0, 0x11);
    const code = cpl === 3 ? 0xc0fb : 0xc09b;
    const data = cpl === 3 ? 0xc0f3 : 0xc093;
    const cs = cpl === 3 ? 0x1b : 0x08;
    const ds = cpl === 3 ? 0x23 : 0x10;
    for (const s of ['ds', 'es', 'fs', 'gs', 'ss'])
        cpu.setSegment(s, { selector: ds, base: 0, limit: 0xffffffff, accessRights: data });
    cpu.setSegment('cs', { selector: cs, base: 0, limit: 0xffffffff, accessRights: code });
    cpu.setRegisters({ eip, esp, eflags: 0x2 });
}
//# sourceMappingURL=machine.js.map