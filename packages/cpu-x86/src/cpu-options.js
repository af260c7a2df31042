import { serviceId } from '@popek/core';
import { Cr4 } from './constants.js';
import { X87 } from './fpu/x87.js';
/** The CPU's options. */
export const CpuOptions = serviceId('@popek/cpu-x86:CpuOptions');
/** Applies the defaults and checks the values. */
export function resolveCpuOptions(o) {
    const model = o.model ?? 5;
    const stepping = o.stepping ?? 2;
    if (!Number.isInteger(model) || model < 0 || model > 15)
        throw new RangeError(`CPU model must be 0–15, not ${model}`);
    if (!Number.isInteger(stepping) || stepping < 0 || stepping > 15)
        throw new RangeError(`CPU stepping must be 0–15, not ${stepping}`);
    const brand = o.brand ?? 'Popek Virtual i686 CPU';
    if (brand.length > 47)
        throw new RangeError('the CPU brand string is longer than 47 characters');
    const pae = o.pae ?? true;
    const vme = o.vme ?? true;
    const fpu = o.fpu === false ? undefined : o.fpu === undefined || o.fpu === true ? new X87('cpu0.fpu') : o.fpu;
    let cr4Mask = Cr4.TSD | Cr4.DE | Cr4.PSE | Cr4.PGE | Cr4.PCE;
    if (pae)
        cr4Mask |= Cr4.PAE;
    if (vme)
        cr4Mask |= Cr4.VME | Cr4.PVI;
    if (fpu !== undefined)
        cr4Mask |= Cr4.OSFXSR;
    return { policy: o.policy, model, stepping, brand, pae, vme, fpu, cr4Mask };
}
//# sourceMappingURL=cpu-options.js.map