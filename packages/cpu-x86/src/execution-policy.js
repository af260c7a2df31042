import { serviceId } from '@popek/core';
import { OPCODE_INFO, formOf } from './opcode-table.js';
/** What the interpreter does after a policy saw an instruction. */
export const PolicyAction = {
    /** Execute the instruction with its native semantics. */
    Execute: 0,
    /**
     * The policy handled it (emulated it and set `cpu.ip` to the next instruction, or redirected
     * control): the interpreter does not execute it. To make the instruction trap instead, the
     * policy calls `cpu.raise(vector, error)`, which throws and never returns.
     */
    Handled: 1,
};
/** Wraps the dispatch entries of `cpu` whose forms fall in the policy's intercepted classes. */
export function installPolicy(cpu, policy) {
    const hook = policy.onInstruction;
    const mask = policy.intercept;
    if (hook === undefined || mask === 0)
        return;
    for (let i = 0; i < 512; i++) {
        const info = OPCODE_INFO[i];
        if (!info.forms.some((f) => (mask & (1 << f.cls)) !== 0))
            continue;
        const inner = cpu.ops[i];
        const index = i;
        const single = info.forms.length === 1 && info.forms[0].ext < 0 ? info.forms[0] : undefined;
        cpu.ops[i] = (c) => {
            let form = single;
            if (form === undefined) {
                const modrm = c.fetch8();
                c.ip = (c.ip - 1) | 0;
                form = formOf(index, modrm);
            }
            if (form !== undefined && (mask & (1 << form.cls)) !== 0 && hook.call(policy, c, form) === PolicyAction.Handled)
                return;
            inner(c);
        };
    }
}
/**
 * The machine's CPU mode: a CPU-mode plugin (capability `cpu-mode`) binds its policy here, and the
 * CPU installs it at construction. Unbound, the CPU runs the reference interpreter with native
 * semantics. `CpuOptions.policy`, when given, takes precedence (tests and harnesses use it).
 */
export const CpuMode = serviceId('@popek/cpu-x86:CpuMode');
//# sourceMappingURL=execution-policy.js.map