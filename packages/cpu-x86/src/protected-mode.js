/**
 * Protected-mode system architecture: descriptor loads with their privilege checks, far control
 * transfers through call gates, interrupt and exception delivery through the IDT (interrupt,
 * trap and task gates, with stack switches and virtual-8086 frames), IRET, hardware task
 * switching, and the I/O permission bitmap. References are to Intel SDM Vol. 3A chapters 5–7
 * and 20, and to the pseudo-code of each instruction in Vol. 2.
 */
import { Ar, Cr0, Cr4, Seg, SysType } from './constants.js';
import { Vector } from './cpu-fault.js';
import { Eflags } from './flags.js';
const { IF, TF, IOPL, VM, RF, NT, VIF, VIP } = Eflags;
/** The data segment registers, in the order the architecture checks them (no allocation per use). */
const DATA_SEGS = [Seg.ES, Seg.DS, Seg.FS, Seg.GS];
/** Scratch for the selectors a task switch loads. */
const taskSels = new Int32Array(6);
/** The last descriptor read: low and high dwords and its linear address. */
let dLo = 0;
let dHi = 0;
let dLin = 0;
/** Access rights (VMX layout) of a descriptor's high dword. */
function arOf(hi) {
    return (hi >>> 8) & 0xf0ff;
}
/** Base of a segment descriptor. */
function baseOf(lo, hi) {
    return ((lo >>> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000)) | 0;
}
/** Byte-granular limit of a segment descriptor. */
function limitOf(lo, hi) {
    const l = (lo & 0xffff) | (hi & 0xf0000);
    return (hi & 0x800000) !== 0 ? l * 4096 + 0xfff : l;
}
/**
 * Reads the descriptor of `sel` (GDT or LDT by TI) into dLo/dHi; returns false when the index is
 * beyond the table limit (or the LDT is null).
 */
function fetchDescriptor(c, sel) {
    const idx = sel & 0xfff8;
    let base;
    let limit;
    if ((sel & 4) !== 0) {
        if ((c.ldtrSel & 0xfffc) === 0)
            return false;
        base = c.ldtrBase;
        limit = c.ldtrLimit;
    }
    else {
        base = c.gdtrBase;
        limit = c.gdtrLimit;
    }
    if (idx + 7 > limit)
        return false;
    dLin = (base + idx) | 0;
    dLo = c.sysRead32(dLin);
    dHi = c.sysRead32((dLin + 4) | 0);
    return true;
}
/** Reads a descriptor or raises `vector` (default #GP) with the selector as error code. */
function loadDescriptor(c, sel, vector = Vector.GP) {
    if (!fetchDescriptor(c, sel))
        c.raise(vector, (sel & 0xfffc) | c.ext);
}
/** Sets the accessed bit of the last descriptor read, if clear. */
function markAccessed(c) {
    if ((dHi & 0x100) === 0) {
        dHi |= 0x100;
        c.sysWrite((dLin + 5) | 0, 1, (dHi >>> 8) & 0xff);
    }
}
/** Loads a data segment register (DS ES FS GS) or SS with the checks of MOV/POP Sreg. */
export function loadDataSeg(c, i, sel) {
    const err = sel & 0xfffc;
    const rpl = sel & 3;
    if (i === Seg.SS) {
        if (err === 0)
            c.gp(0);
        loadDescriptor(c, sel);
        const ar = arOf(dHi);
        const dpl = (ar >> 5) & 3;
        if (rpl !== c.cpl || dpl !== c.cpl || (ar & Ar.S) === 0 || (ar & Ar.CODE) !== 0 || (ar & Ar.RW) === 0)
            c.gp(err);
        if ((ar & Ar.P) === 0)
            c.raise(Vector.SS, err);
        markAccessed(c);
        c.setSegCache(i, sel, baseOf(dLo, dHi), limitOf(dLo, dHi), arOf(dHi));
        return;
    }
    if (err === 0) {
        c.setSegCache(i, sel, 0, 0, Ar.UNUSABLE);
        return;
    }
    loadDescriptor(c, sel);
    const ar = arOf(dHi);
    const dpl = (ar >> 5) & 3;
    if ((ar & Ar.S) === 0 || (ar & (Ar.CODE | Ar.RW)) === Ar.CODE)
        c.gp(err);
    const conformingCode = (ar & (Ar.CODE | Ar.DC)) === (Ar.CODE | Ar.DC);
    if (!conformingCode && (rpl > dpl || c.cpl > dpl))
        c.gp(err);
    if ((ar & Ar.P) === 0)
        c.raise(Vector.NP, err);
    markAccessed(c);
    c.setSegCache(i, sel, baseOf(dLo, dHi), limitOf(dLo, dHi), arOf(dHi));
}
/** Loads CS from the last descriptor read with RPL = `cpl` and switches to that CPL. */
function enterCode(c, sel, cpl, ip) {
    markAccessed(c);
    c.setSegCache(Seg.CS, (sel & 0xfffc) | cpl, baseOf(dLo, dHi), limitOf(dLo, dHi), arOf(dHi));
    if (c.cpl !== cpl)
        c.cpl = cpl;
    c.modeChanged();
    c.ip = ip;
}
/** Checks a code-segment descriptor for a direct JMP/CALL (SDM Vol. 3A §5.8.1). */
function checkDirectCode(c, sel) {
    const ar = arOf(dHi);
    const dpl = (ar >> 5) & 3;
    const err = sel & 0xfffc;
    if ((ar & Ar.DC) !== 0) {
        if (dpl > c.cpl)
            c.gp(err);
    }
    else if ((sel & 3) > c.cpl || dpl !== c.cpl)
        c.gp(err);
    if ((ar & Ar.P) === 0)
        c.raise(Vector.NP, err);
}
/** Far JMP (EA, FF /5) in protected mode. */
export function farJump(c, sel, off) {
    const err = sel & 0xfffc;
    if (err === 0)
        c.gp(0);
    loadDescriptor(c, sel);
    const ar = arOf(dHi);
    if ((ar & Ar.S) !== 0) {
        if ((ar & Ar.CODE) === 0)
            c.gp(err);
        checkDirectCode(c, sel);
        const t = c.os32 ? off : off & 0xffff;
        if ((t >>> 0) > limitOf(dLo, dHi))
            c.gp(0);
        enterCode(c, sel, c.cpl, t);
        return;
    }
    const type = ar & 0xf;
    const dpl = (ar >> 5) & 3;
    if (type === SysType.CALL16 || type === SysType.CALL32) {
        if (dpl < c.cpl || dpl < (sel & 3))
            c.gp(err);
        if ((ar & Ar.P) === 0)
            c.raise(Vector.NP, err);
        const cs = dLo >>> 16;
        const t = type === SysType.CALL32 ? (dLo & 0xffff) | (dHi & 0xffff0000) : dLo & 0xffff;
        if ((cs & 0xfffc) === 0)
            c.gp(0);
        loadDescriptor(c, cs);
        const car = arOf(dHi);
        const cdpl = (car >> 5) & 3;
        if ((car & (Ar.S | Ar.CODE)) !== (Ar.S | Ar.CODE))
            c.gp(cs & 0xfffc);
        if ((car & Ar.DC) !== 0 ? cdpl > c.cpl : cdpl !== c.cpl)
            c.gp(cs & 0xfffc);
        if ((car & Ar.P) === 0)
            c.raise(Vector.NP, cs & 0xfffc);
        if ((t >>> 0) > limitOf(dLo, dHi))
            c.gp(0);
        enterCode(c, cs, c.cpl, t);
        return;
    }
    if (type === SysType.TASK || type === SysType.TSS16 || type === SysType.TSS32) {
        if (dpl < c.cpl || dpl < (sel & 3))
            c.gp(err);
        if ((ar & Ar.P) === 0)
            c.raise(Vector.NP, err);
        taskSwitch(c, type === SysType.TASK ? dLo >>> 16 : sel, TaskReason.Jmp, -1);
        return;
    }
    c.gp(err);
}
/** Reads the stack for privilege level `pl` from the current TSS (SDM Vol. 3A §7.2.1). */
function tssStack(c, pl, out) {
    const tss32 = (c.trAr & 8) !== 0;
    const at = tss32 ? 4 + pl * 8 : 2 + pl * 4;
    const size = tss32 ? 8 : 4;
    if (at + size - 1 > c.trLimit)
        c.raise(Vector.TS, (c.trSel & 0xfffc) | c.ext);
    if (tss32) {
        out[0] = c.sysRead32((c.trBase + at) | 0) >>> 0;
        out[1] = c.sysRead16((c.trBase + at + 4) | 0);
    }
    else {
        out[0] = c.sysRead16((c.trBase + at) | 0);
        out[1] = c.sysRead16((c.trBase + at + 2) | 0);
    }
}
const stk = new Float64Array(2);
/** Checks a new SS for an inner-privilege stack switch to `pl`; leaves its descriptor in dLo/dHi. */
function checkNewStack(c, ss, pl) {
    const err = (ss & 0xfffc) | c.ext;
    if ((ss & 0xfffc) === 0)
        c.raise(Vector.TS, c.ext);
    if (!fetchDescriptor(c, ss))
        c.raise(Vector.TS, err);
    const ar = arOf(dHi);
    if ((ss & 3) !== pl || ((ar >> 5) & 3) !== pl || (ar & (Ar.S | Ar.CODE | Ar.RW)) !== (Ar.S | Ar.RW))
        c.raise(Vector.TS, err);
    if ((ar & Ar.P) === 0)
        c.raise(Vector.SS, err);
}
/** A stack image being built: base, limits and pointer of the target SS, and privilege. */
class StackFrame {
    base = 0;
    lo = 0;
    hi = 0;
    big = false;
    sp = 0;
    user = false;
    /** Takes the target stack from a descriptor (dLo/dHi) and a starting stack pointer. */
    fromDescriptor(sp, user) {
        const ar = arOf(dHi);
        const limit = limitOf(dLo, dHi);
        this.base = baseOf(dLo, dHi);
        this.big = (ar & Ar.DB) !== 0;
        const down = (ar & Ar.DC) !== 0;
        this.lo = down ? limit + 1 : 0;
        this.hi = down ? (this.big ? 0xffffffff : 0xffff) : limit;
        this.sp = this.big ? sp >>> 0 : sp & 0xffff;
        this.user = user;
    }
    /** Takes the current SS. */
    fromCurrent(c) {
        this.base = c.segBase[Seg.SS];
        this.lo = c.segLo[Seg.SS];
        this.hi = c.segWHi[Seg.SS];
        this.big = c.ssB;
        this.sp = c.sp();
        this.user = c.user;
    }
    /** Checks room for `bytes` below the pointer (segment limits, then pages). */
    reserve(c, bytes, err) {
        const low = this.big ? (this.sp - bytes) >>> 0 : (this.sp - bytes) & 0xffff;
        const top = low + bytes - 1;
        if (low < this.lo || top > this.hi || (!this.big && this.sp - bytes < 0 && this.sp !== 0))
            c.raise(Vector.SS, err);
        c.probeWriteLin((this.base + low) | 0, bytes, this.user);
    }
    push(c, size, v) {
        this.sp = this.big ? (this.sp - size) >>> 0 : (this.sp - size) & 0xffff;
        c.writeSlow((this.base + this.sp) | 0, size, v, this.user);
    }
}
const frame = new StackFrame();
/** Far CALL (9A, FF /3) in protected mode, including call gates with a stack switch. */
export function farCall(c, sel, off) {
    const err = sel & 0xfffc;
    if (err === 0)
        c.gp(0);
    loadDescriptor(c, sel);
    const ar = arOf(dHi);
    const retCs = c.segSel[Seg.CS];
    const retIp = c.ip;
    if ((ar & Ar.S) !== 0) {
        if ((ar & Ar.CODE) === 0)
            c.gp(err);
        checkDirectCode(c, sel);
        const s = c.os32 ? 4 : 2;
        const t = s === 4 ? off : off & 0xffff;
        if ((t >>> 0) > limitOf(dLo, dHi))
            c.gp(0);
        const lo = dLo;
        const hi = dHi;
        const lin = dLin;
        frame.fromCurrent(c);
        frame.reserve(c, 2 * s, 0);
        frame.push(c, s, retCs);
        frame.push(c, s, retIp);
        dLo = lo;
        dHi = hi;
        dLin = lin;
        c.setSp(frame.sp);
        enterCode(c, sel, c.cpl, t);
        return;
    }
    const type = ar & 0xf;
    const dpl = (ar >> 5) & 3;
    if (type === SysType.TASK || type === SysType.TSS16 || type === SysType.TSS32) {
        if (dpl < c.cpl || dpl < (sel & 3))
            c.gp(err);
        if ((ar & Ar.P) === 0)
            c.raise(Vector.NP, err);
        taskSwitch(c, type === SysType.TASK ? dLo >>> 16 : sel, TaskReason.Call, -1);
        return;
    }
    if (type !== SysType.CALL16 && type !== SysType.CALL32)
        c.gp(err);
    if (dpl < c.cpl || dpl < (sel & 3))
        c.gp(err);
    if ((ar & Ar.P) === 0)
        c.raise(Vector.NP, err);
    const gs = type === SysType.CALL32 ? 4 : 2;
    const params = dHi & 0x1f;
    const cs = dLo >>> 16;
    const t = gs === 4 ? (dLo & 0xffff) | (dHi & 0xffff0000) : dLo & 0xffff;
    if ((cs & 0xfffc) === 0)
        c.gp(0);
    loadDescriptor(c, cs);
    const car = arOf(dHi);
    const cdpl = (car >> 5) & 3;
    if ((car & (Ar.S | Ar.CODE)) !== (Ar.S | Ar.CODE) || cdpl > c.cpl)
        c.gp(cs & 0xfffc);
    if ((car & Ar.P) === 0)
        c.raise(Vector.NP, cs & 0xfffc);
    if ((t >>> 0) > limitOf(dLo, dHi))
        c.gp(0);
    const csLo = dLo;
    const csHi = dHi;
    const csLin = dLin;
    if ((car & Ar.DC) === 0 && cdpl < c.cpl) {
        // More privileged: switch to the TSS stack of level cdpl and copy the parameters.
        tssStack(c, cdpl, stk);
        const newSp = stk[0];
        const newSs = stk[1];
        checkNewStack(c, newSs, cdpl);
        const ssLo = dLo;
        const ssHi = dHi;
        const ssLin = dLin;
        frame.fromDescriptor(newSp, cdpl === 3);
        frame.reserve(c, (4 + params) * gs, newSs & 0xfffc);
        const oldSs = c.segSel[Seg.SS];
        const oldSp = c.regs[4];
        const oldBig = c.ssB;
        frame.push(c, gs, oldSs);
        frame.push(c, gs, gs === 4 ? oldSp : oldSp & 0xffff);
        for (let i = params - 1; i >= 0; i--) {
            const at = oldBig ? (oldSp + i * gs) >>> 0 : (oldSp + i * gs) & 0xffff;
            frame.push(c, gs, c.rdN(Seg.SS, at, gs));
        }
        frame.push(c, gs, retCs);
        frame.push(c, gs, retIp);
        dLo = ssLo;
        dHi = ssHi;
        dLin = ssLin;
        markAccessed(c);
        c.setSegCache(Seg.SS, newSs, baseOf(ssLo, ssHi), limitOf(ssLo, ssHi), arOf(ssHi));
        c.setSp(frame.sp);
        dLo = csLo;
        dHi = csHi;
        dLin = csLin;
        enterCode(c, cs, cdpl, t);
        return;
    }
    frame.fromCurrent(c);
    frame.reserve(c, 2 * gs, 0);
    frame.push(c, gs, retCs);
    frame.push(c, gs, retIp);
    c.setSp(frame.sp);
    dLo = csLo;
    dHi = csHi;
    dLin = csLin;
    enterCode(c, cs, c.cpl, t);
}
/** Nulls data segment registers the new (outer) CPL may not use (SDM Vol. 2 "RET", "IRET"). */
function nullInvalidSegments(c) {
    for (const i of DATA_SEGS) {
        const ar = c.segAr[i];
        if ((ar & Ar.UNUSABLE) !== 0)
            continue;
        const dpl = (ar >> 5) & 3;
        const conformingCode = (ar & (Ar.CODE | Ar.DC)) === (Ar.CODE | Ar.DC);
        if (!conformingCode && dpl < c.cpl)
            c.setSegCache(i, 0, 0, 0, Ar.UNUSABLE);
    }
}
/** Checks the code segment of a far return to `sel` (RETF and IRET). */
function checkReturnCode(c, sel) {
    const err = sel & 0xfffc;
    if (err === 0)
        c.gp(0);
    if ((sel & 3) < c.cpl)
        c.gp(err);
    loadDescriptor(c, sel);
    const ar = arOf(dHi);
    const dpl = (ar >> 5) & 3;
    if ((ar & (Ar.S | Ar.CODE)) !== (Ar.S | Ar.CODE))
        c.gp(err);
    if ((ar & Ar.DC) !== 0 ? dpl > (sel & 3) : dpl !== (sel & 3))
        c.gp(err);
    if ((ar & Ar.P) === 0)
        c.raise(Vector.NP, err);
}
/** Checks the stack segment of a return to an outer level `rpl`; leaves it in dLo/dHi. */
function checkReturnStack(c, ss, rpl) {
    const err = ss & 0xfffc;
    if (err === 0)
        c.gp(0);
    if ((ss & 3) !== rpl)
        c.gp(err);
    loadDescriptor(c, ss);
    const ar = arOf(dHi);
    if (((ar >> 5) & 3) !== rpl || (ar & (Ar.S | Ar.CODE | Ar.RW)) !== (Ar.S | Ar.RW))
        c.gp(err);
    if ((ar & Ar.P) === 0)
        c.raise(Vector.SS, err);
}
/** Far RET (CA, CB) in protected mode. */
export function farReturn(c, n) {
    const s = c.os32 ? 4 : 2;
    const sp = c.sp();
    const off = c.rdN(Seg.SS, sp, s);
    const sel = c.rdN(Seg.SS, c.spAdd(s), s) & 0xffff;
    checkReturnCode(c, sel);
    const rpl = sel & 3;
    const t = s === 4 ? off : off & 0xffff;
    if ((t >>> 0) > limitOf(dLo, dHi))
        c.gp(0);
    if (rpl === c.cpl) {
        c.setSp(c.spAdd(2 * s + n));
        enterCode(c, sel, rpl, t);
        return;
    }
    const csLo = dLo;
    const csHi = dHi;
    const csLin = dLin;
    const newSp = c.rdN(Seg.SS, c.spAdd(2 * s + n), s);
    const newSs = c.rdN(Seg.SS, c.spAdd(3 * s + n), s) & 0xffff;
    checkReturnStack(c, newSs, rpl);
    markAccessed(c);
    c.setSegCache(Seg.SS, newSs, baseOf(dLo, dHi), limitOf(dLo, dHi), arOf(dHi));
    dLo = csLo;
    dHi = csHi;
    dLin = csLin;
    enterCode(c, sel, rpl, t);
    c.setSp(s === 4 ? newSp + n : (newSp + n) & 0xffff);
    if (!c.ssB)
        c.r16[8] = (newSp + n) & 0xffff;
    nullInvalidSegments(c);
}
/**
 * Delivers an interrupt or exception through the IDT (SDM Vol. 3A §6.12). `c.ip` is the return
 * address; `software` marks INT n / INT3 / INTO (gate DPL checked against CPL).
 */
export function interruptProtected(c, vector, error, software) {
    const idx = vector * 8;
    const ext = c.ext;
    const gateErr = idx + 2 + ext;
    if (idx + 7 > c.idtrLimit)
        c.gp(gateErr);
    const glo = c.sysRead32((c.idtrBase + idx) | 0);
    const ghi = c.sysRead32((c.idtrBase + idx + 4) | 0);
    const gar = arOf(ghi);
    const type = gar & 0x1f;
    if (type !== SysType.TASK && type !== SysType.INT16 && type !== SysType.TRAP16 && type !== SysType.INT32 && type !== SysType.TRAP32)
        c.gp(gateErr);
    const gdpl = (gar >> 5) & 3;
    if (software && gdpl < c.cpl)
        c.gp(idx + 2);
    if ((gar & Ar.P) === 0)
        c.raise(Vector.NP, gateErr);
    if (type === SysType.TASK) {
        taskSwitch(c, glo >>> 16, TaskReason.Interrupt, error);
        return;
    }
    const gs = (type & 8) !== 0 ? 4 : 2;
    const sel = glo >>> 16;
    const target = gs === 4 ? (glo & 0xffff) | (ghi & 0xffff0000) : glo & 0xffff;
    if ((sel & 0xfffc) === 0)
        c.gp(ext);
    loadDescriptor(c, sel);
    const car = arOf(dHi);
    const dpl = (car >> 5) & 3;
    if ((car & (Ar.S | Ar.CODE)) !== (Ar.S | Ar.CODE) || dpl > c.cpl)
        c.gp((sel & 0xfffc) | ext);
    if ((car & Ar.P) === 0)
        c.raise(Vector.NP, (sel & 0xfffc) | ext);
    if ((target >>> 0) > limitOf(dLo, dHi))
        c.gp(ext);
    const csLo = dLo;
    const csHi = dHi;
    const csLin = dLin;
    const flags = c.getEflags();
    const retCs = c.segSel[Seg.CS];
    const retIp = c.ip;
    const hasErr = error >= 0;
    const conforming = (car & Ar.DC) !== 0;
    let newCpl = c.cpl;
    if (!conforming && dpl < c.cpl) {
        // Inter-privilege: stack switch from the TSS.
        if (c.v86 && dpl !== 0)
            c.gp((sel & 0xfffc) | ext);
        tssStack(c, dpl, stk);
        const newSp = stk[0];
        const newSs = stk[1];
        checkNewStack(c, newSs, dpl);
        const ssLo = dLo;
        const ssHi = dHi;
        const ssLin = dLin;
        frame.fromDescriptor(newSp, false);
        const words = (c.v86 ? 9 : 5) + (hasErr ? 1 : 0);
        frame.reserve(c, words * gs, (newSs & 0xfffc) | ext);
        if (c.v86) {
            frame.push(c, gs, c.segSel[Seg.GS]);
            frame.push(c, gs, c.segSel[Seg.FS]);
            frame.push(c, gs, c.segSel[Seg.DS]);
            frame.push(c, gs, c.segSel[Seg.ES]);
        }
        frame.push(c, gs, c.segSel[Seg.SS]);
        frame.push(c, gs, c.regs[4]);
        frame.push(c, gs, flags);
        frame.push(c, gs, retCs);
        frame.push(c, gs, retIp);
        if (hasErr)
            frame.push(c, gs, error);
        const wasV86 = c.v86;
        dLo = ssLo;
        dHi = ssHi;
        dLin = ssLin;
        markAccessed(c);
        c.flags &= ~(TF | VM | RF | NT);
        if ((type & 1) === 0)
            c.flags &= ~IF;
        c.cpl = dpl;
        c.v86 = false;
        c.protectedMode = true;
        c.setSegCache(Seg.SS, newSs, baseOf(ssLo, ssHi), limitOf(ssLo, ssHi), arOf(ssHi));
        if (wasV86)
            for (const i of DATA_SEGS)
                c.setSegCache(i, 0, 0, 0, Ar.UNUSABLE);
        c.setSp(frame.sp);
        newCpl = dpl;
    }
    else if (conforming || dpl === c.cpl) {
        if (c.v86)
            c.gp((sel & 0xfffc) | ext);
        frame.fromCurrent(c);
        frame.reserve(c, (3 + (hasErr ? 1 : 0)) * gs, ext);
        frame.push(c, gs, flags);
        frame.push(c, gs, retCs);
        frame.push(c, gs, retIp);
        if (hasErr)
            frame.push(c, gs, error);
        c.setSp(frame.sp);
        c.flags &= ~(TF | VM | RF | NT);
        if ((type & 1) === 0)
            c.flags &= ~IF;
    }
    else {
        c.gp((sel & 0xfffc) | ext);
    }
    dLo = csLo;
    dHi = csHi;
    dLin = csLin;
    enterCode(c, sel, newCpl, target);
    c.eip = c.ip;
}
/** IRET in protected or virtual-8086 mode (SDM Vol. 2 "IRET/IRETD"). */
export function iretProtected(c) {
    const s = c.os32 ? 4 : 2;
    if (c.v86) {
        if ((c.flags & IOPL) !== IOPL) {
            // VME: a 16-bit IRET loads VIF from the IF bit; TF set, or IF set with VIP, is #GP
            // (SDM Vol. 3A §20.3.1, Table 20-2).
            if ((c.cr4 & Cr4.VME) === 0 || s === 4)
                c.gp(0);
            const ip = c.rd16(Seg.SS, c.sp());
            const cs = c.rd16(Seg.SS, c.spAdd(2));
            const fl = c.rd16(Seg.SS, c.spAdd(4));
            if ((fl & TF) !== 0 || ((fl & IF) !== 0 && (c.flags & VIP) !== 0))
                c.gp(0);
            c.setSp(c.spAdd(6));
            c.loadSegReal(Seg.CS, cs);
            c.ip = ip;
            c.setEflags(fl, 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x400 | 0x800 | NT);
            c.flags = (c.flags & ~VIF) | ((fl & IF) !== 0 ? VIF : 0);
            return;
        }
        const ip = c.rdN(Seg.SS, c.sp(), s);
        const cs = c.rdN(Seg.SS, c.spAdd(s), s) & 0xffff;
        const fl = c.rdN(Seg.SS, c.spAdd(2 * s), s);
        if (s === 2 && (ip & 0xffff) > c.segLimit[Seg.CS])
            c.gp(0);
        c.setSp(c.spAdd(3 * s));
        c.loadSegReal(Seg.CS, cs);
        c.ip = s === 4 ? ip : ip & 0xffff;
        let mask = ~(IOPL | VM | VIF | VIP);
        if (s === 2)
            mask &= 0xffff;
        c.setEflags(fl, mask);
        return;
    }
    if ((c.flags & NT) !== 0) {
        const link = c.sysRead16(c.trBase);
        taskSwitch(c, link, TaskReason.Iret, -1);
        return;
    }
    const sp = c.sp();
    const ip = c.rdN(Seg.SS, sp, s);
    const cs = c.rdN(Seg.SS, c.spAdd(s), s) & 0xffff;
    const fl = c.rdN(Seg.SS, c.spAdd(2 * s), s);
    if (s === 4 && (fl & VM) !== 0 && c.cpl === 0) {
        // Return to virtual-8086 mode (SDM Vol. 3A §20.2.5).
        const esp = c.rd32(Seg.SS, c.spAdd(12));
        const ss = c.rd32(Seg.SS, c.spAdd(16)) & 0xffff;
        const es = c.rd32(Seg.SS, c.spAdd(20)) & 0xffff;
        const ds = c.rd32(Seg.SS, c.spAdd(24)) & 0xffff;
        const fs = c.rd32(Seg.SS, c.spAdd(28)) & 0xffff;
        const gs = c.rd32(Seg.SS, c.spAdd(32)) & 0xffff;
        c.setEflags(fl, 0xffffffff);
        c.cpl = 3;
        c.modeChanged();
        c.loadSegReal(Seg.CS, cs);
        c.loadSegReal(Seg.SS, ss);
        c.loadSegReal(Seg.ES, es);
        c.loadSegReal(Seg.DS, ds);
        c.loadSegReal(Seg.FS, fs);
        c.loadSegReal(Seg.GS, gs);
        c.regs[4] = esp;
        c.ip = ip & 0xffff;
        return;
    }
    checkReturnCode(c, cs);
    const rpl = cs & 3;
    const t = s === 4 ? ip : ip & 0xffff;
    if ((t >>> 0) > limitOf(dLo, dHi))
        c.gp(0);
    const oldCpl = c.cpl;
    const iopl = (c.flags & IOPL) >> 12;
    let mask = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | TF | 0x400 | 0x800 | NT | RF | Eflags.AC | Eflags.ID;
    if (oldCpl <= iopl)
        mask |= IF;
    if (oldCpl === 0)
        mask |= IOPL | VIF | VIP;
    if (s === 2)
        mask &= 0xffff;
    if (rpl === oldCpl) {
        c.setSp(c.spAdd(3 * s));
        enterCode(c, cs, rpl, t);
        c.setEflags(fl, mask);
        return;
    }
    const csLo = dLo;
    const csHi = dHi;
    const csLin = dLin;
    const newSp = c.rdN(Seg.SS, c.spAdd(3 * s), s);
    const newSs = c.rdN(Seg.SS, c.spAdd(4 * s), s) & 0xffff;
    checkReturnStack(c, newSs, rpl);
    markAccessed(c);
    c.setSegCache(Seg.SS, newSs, baseOf(dLo, dHi), limitOf(dLo, dHi), arOf(dHi));
    dLo = csLo;
    dHi = csHi;
    dLin = csLin;
    c.setEflags(fl, mask);
    enterCode(c, cs, rpl, t);
    if (c.ssB)
        c.regs[4] = newSp;
    else
        c.r16[8] = newSp;
    nullInvalidSegments(c);
}
/** Why a task switch happens (SDM Vol. 3A §7.3, Table 7-2). */
export const TaskReason = { Jmp: 0, Call: 1, Iret: 2, Interrupt: 3 };
/**
 * Hardware task switch to the TSS selected by `sel` (SDM Vol. 3A §7.3): saves the current state
 * in the current TSS, updates busy bits and the back link, loads the new state, and pushes
 * `error` (if ≥ 0) on the new task's stack.
 */
export function taskSwitch(c, sel, reason, error) {
    const err = (sel & 0xfffc) | c.ext;
    if ((sel & 4) !== 0)
        c.raise(reason === TaskReason.Iret ? Vector.TS : Vector.GP, err);
    if (!fetchDescriptor(c, sel))
        c.raise(reason === TaskReason.Iret ? Vector.TS : Vector.GP, err);
    const ar = arOf(dHi);
    const type = ar & 0x1f;
    const busy = type === SysType.TSS16_BUSY || type === SysType.TSS32_BUSY;
    const isTss = type === SysType.TSS16 || type === SysType.TSS32 || busy;
    if (!isTss)
        c.raise(reason === TaskReason.Iret ? Vector.TS : Vector.GP, err);
    if (reason === TaskReason.Iret ? !busy : busy)
        c.raise(reason === TaskReason.Iret ? Vector.TS : Vector.GP, err);
    if ((ar & Ar.P) === 0)
        c.raise(Vector.NP, err);
    const newBase = baseOf(dLo, dHi);
    const newLimit = limitOf(dLo, dHi);
    const new32 = (type & 8) !== 0;
    if (newLimit < (new32 ? 0x67 : 0x2b))
        c.raise(Vector.TS, err);
    const newDescLin = dLin;
    const newHi = dHi;
    // Save the outgoing task's state (SDM Vol. 3A §7.2.1, Figure 7-2).
    const old32 = (c.trAr & 8) !== 0;
    const ob = c.trBase;
    let oldFlags = c.getEflags();
    if (reason === TaskReason.Iret)
        oldFlags &= ~NT;
    if (old32) {
        c.sysWrite((ob + 0x20) | 0, 4, c.ip);
        c.sysWrite((ob + 0x24) | 0, 4, oldFlags);
        for (let r = 0; r < 8; r++)
            c.sysWrite((ob + 0x28 + r * 4) | 0, 4, c.regs[r]);
        for (let i = 0; i < 6; i++)
            c.sysWrite((ob + 0x48 + i * 4) | 0, 2, c.segSel[i]);
    }
    else {
        c.sysWrite((ob + 0x0e) | 0, 2, c.ip);
        c.sysWrite((ob + 0x10) | 0, 2, oldFlags);
        for (let r = 0; r < 8; r++)
            c.sysWrite((ob + 0x12 + r * 2) | 0, 2, c.regs[r]);
        for (let i = 0; i < 4; i++)
            c.sysWrite((ob + 0x22 + i * 2) | 0, 2, c.segSel[i]);
    }
    if (reason === TaskReason.Jmp || reason === TaskReason.Iret) {
        // Clear the busy bit of the outgoing TSS descriptor.
        if (fetchDescriptor(c, c.trSel))
            c.sysWrite((dLin + 5) | 0, 1, ((dHi >>> 8) & 0xff) & ~0x2);
    }
    if (reason === TaskReason.Call || reason === TaskReason.Interrupt)
        c.sysWrite(newBase, 2, c.trSel);
    if (reason !== TaskReason.Iret)
        c.sysWrite((newDescLin + 5) | 0, 1, ((newHi >>> 8) & 0xff) | 0x2);
    // Load the incoming task's state.
    c.trSel = sel & 0xffff;
    c.trBase = newBase;
    c.trLimit = newLimit;
    c.trAr = (arOf(newHi) | 0x2) & ~Ar.UNUSABLE;
    c.cr0 |= Cr0.TS;
    const nb = newBase;
    let eip;
    let fl;
    const sels = taskSels;
    let ldt;
    if (new32) {
        if ((c.cr0 & Cr0.PG) !== 0) {
            c.cr3 = c.sysRead32((nb + 0x1c) | 0);
            c.controlChanged(3);
        }
        eip = c.sysRead32((nb + 0x20) | 0);
        fl = c.sysRead32((nb + 0x24) | 0);
        for (let r = 0; r < 8; r++)
            c.regs[r] = c.sysRead32((nb + 0x28 + r * 4) | 0);
        for (let i = 0; i < 6; i++)
            sels[i] = c.sysRead16((nb + 0x48 + i * 4) | 0);
        ldt = c.sysRead16((nb + 0x60) | 0);
    }
    else {
        eip = c.sysRead16((nb + 0x0e) | 0);
        fl = c.sysRead16((nb + 0x10) | 0);
        for (let r = 0; r < 8; r++)
            c.r16[r * 2] = c.sysRead16((nb + 0x12 + r * 2) | 0);
        for (let i = 0; i < 4; i++)
            sels[i] = c.sysRead16((nb + 0x22 + i * 2) | 0);
        ldt = c.sysRead16((nb + 0x2a) | 0);
    }
    if (reason === TaskReason.Call || reason === TaskReason.Interrupt)
        fl |= NT;
    c.lazy = 0;
    c.flags = 0x2;
    c.setEflags(fl, 0xffffffff);
    c.modeChanged();
    // LDT, then segment registers; errors from here on are #TS in the new task's context.
    if ((ldt & 0xfffc) === 0) {
        c.ldtrSel = ldt;
        c.ldtrBase = 0;
        c.ldtrLimit = 0;
    }
    else {
        if ((ldt & 4) !== 0 || !fetchDescriptor(c, ldt))
            c.raise(Vector.TS, ldt & 0xfffc);
        const lar = arOf(dHi);
        if ((lar & 0x1f) !== SysType.LDT)
            c.raise(Vector.TS, ldt & 0xfffc);
        if ((lar & Ar.P) === 0)
            c.raise(Vector.TS, ldt & 0xfffc);
        c.ldtrSel = ldt;
        c.ldtrBase = baseOf(dLo, dHi);
        c.ldtrLimit = limitOf(dLo, dHi);
    }
    if (c.v86) {
        for (let i = 0; i < 6; i++)
            c.loadSegReal(i, sels[i]);
        c.cpl = 3;
        c.modeChanged();
    }
    else {
        const cs = sels[Seg.CS];
        const cpl = cs & 3;
        if ((cs & 0xfffc) === 0 || !fetchDescriptor(c, cs))
            c.raise(Vector.TS, cs & 0xfffc);
        const car = arOf(dHi);
        const cdpl = (car >> 5) & 3;
        if ((car & (Ar.S | Ar.CODE)) !== (Ar.S | Ar.CODE) || ((car & Ar.DC) !== 0 ? cdpl > cpl : cdpl !== cpl))
            c.raise(Vector.TS, cs & 0xfffc);
        if ((car & Ar.P) === 0)
            c.raise(Vector.NP, cs & 0xfffc);
        markAccessed(c);
        c.setSegCache(Seg.CS, cs, baseOf(dLo, dHi), limitOf(dLo, dHi), car);
        c.cpl = cpl;
        c.modeChanged();
        const ss = sels[Seg.SS];
        if ((ss & 0xfffc) === 0 || !fetchDescriptor(c, ss))
            c.raise(Vector.TS, ss & 0xfffc);
        const sar = arOf(dHi);
        if ((ss & 3) !== cpl || ((sar >> 5) & 3) !== cpl || (sar & (Ar.S | Ar.CODE | Ar.RW)) !== (Ar.S | Ar.RW))
            c.raise(Vector.TS, ss & 0xfffc);
        if ((sar & Ar.P) === 0)
            c.raise(Vector.SS, ss & 0xfffc);
        markAccessed(c);
        c.setSegCache(Seg.SS, ss, baseOf(dLo, dHi), limitOf(dLo, dHi), sar);
        for (const i of DATA_SEGS) {
            const s = sels[i];
            if ((s & 0xfffc) === 0) {
                c.setSegCache(i, s, 0, 0, Ar.UNUSABLE);
                continue;
            }
            if (!fetchDescriptor(c, s))
                c.raise(Vector.TS, s & 0xfffc);
            const dar = arOf(dHi);
            const ddpl = (dar >> 5) & 3;
            if ((dar & Ar.S) === 0 || (dar & (Ar.CODE | Ar.RW)) === Ar.CODE)
                c.raise(Vector.TS, s & 0xfffc);
            const conf = (dar & (Ar.CODE | Ar.DC)) === (Ar.CODE | Ar.DC);
            if (!conf && ((s & 3) > ddpl || cpl > ddpl))
                c.raise(Vector.TS, s & 0xfffc);
            if ((dar & Ar.P) === 0)
                c.raise(Vector.NP, s & 0xfffc);
            markAccessed(c);
            c.setSegCache(i, s, baseOf(dLo, dHi), limitOf(dLo, dHi), dar);
        }
    }
    const ipv = new32 ? eip : eip & 0xffff;
    c.ip = ipv;
    c.eip = ipv;
    if (error >= 0) {
        if (new32)
            c.push32(error);
        else
            c.push16(error);
    }
    if ((ipv >>> 0) > c.segLimit[Seg.CS])
        c.gp(0);
}
/** LLDT (0F 00 /2). */
export function lldt(c, sel) {
    if ((sel & 0xfffc) === 0) {
        c.ldtrSel = sel;
        c.ldtrBase = 0;
        c.ldtrLimit = 0;
        return;
    }
    if ((sel & 4) !== 0)
        c.gp(sel & 0xfffc);
    loadDescriptor(c, sel);
    const ar = arOf(dHi);
    if ((ar & 0x1f) !== SysType.LDT)
        c.gp(sel & 0xfffc);
    if ((ar & Ar.P) === 0)
        c.raise(Vector.NP, sel & 0xfffc);
    c.ldtrSel = sel;
    c.ldtrBase = baseOf(dLo, dHi);
    c.ldtrLimit = limitOf(dLo, dHi);
}
/** LTR (0F 00 /3): marks the TSS busy. */
export function ltr(c, sel) {
    if ((sel & 0xfffc) === 0)
        c.gp(0);
    if ((sel & 4) !== 0)
        c.gp(sel & 0xfffc);
    loadDescriptor(c, sel);
    const ar = arOf(dHi);
    const type = ar & 0x1f;
    if (type !== SysType.TSS16 && type !== SysType.TSS32)
        c.gp(sel & 0xfffc);
    if ((ar & Ar.P) === 0)
        c.raise(Vector.NP, sel & 0xfffc);
    c.sysWrite((dLin + 5) | 0, 1, ((dHi >>> 8) & 0xff) | 0x2);
    c.trSel = sel;
    c.trBase = baseOf(dLo, dHi);
    c.trLimit = limitOf(dLo, dHi);
    c.trAr = ar | 0x2;
}
/** VERR/VERW (0F 00 /4 /5): sets ZF when the segment is readable/writable from CPL and RPL. */
export function verify(c, sel, write) {
    let ok = false;
    if ((sel & 0xfffc) !== 0 && fetchDescriptor(c, sel)) {
        const ar = arOf(dHi);
        const dpl = (ar >> 5) & 3;
        if ((ar & Ar.S) !== 0) {
            const code = (ar & Ar.CODE) !== 0;
            const conforming = code && (ar & Ar.DC) !== 0;
            const privOk = conforming || (dpl >= c.cpl && dpl >= (sel & 3));
            ok = privOk && (write ? !code && (ar & Ar.RW) !== 0 : !code || (ar & Ar.RW) !== 0);
        }
    }
    c.materialize();
    if (ok)
        c.flags |= Eflags.ZF;
    else
        c.flags &= ~Eflags.ZF;
}
/**
 * LAR/LSL: the descriptor's high dword (LAR) or byte-granular limit (LSL) when the selector is
 * visible at CPL/RPL and of a type the instruction accepts; undefined otherwise (ZF = 0).
 */
export function queryDescriptor(c, sel, lsl) {
    if ((sel & 0xfffc) === 0 || !fetchDescriptor(c, sel))
        return undefined;
    const ar = arOf(dHi);
    const dpl = (ar >> 5) & 3;
    if ((ar & Ar.S) === 0) {
        const t = ar & 0xf;
        const okLar = t === 1 || t === 2 || t === 3 || t === 4 || t === 5 || t === 9 || t === 11 || t === 12;
        const okLsl = t === 1 || t === 2 || t === 3 || t === 9 || t === 11;
        if (lsl ? !okLsl : !okLar)
            return undefined;
    }
    const conformingCode = (ar & (Ar.S | Ar.CODE | Ar.DC)) === (Ar.S | Ar.CODE | Ar.DC);
    if (!conformingCode && (dpl < c.cpl || dpl < (sel & 3)))
        return undefined;
    return lsl ? limitOf(dLo, dHi) | 0 : dHi;
}
/** The I/O permission bitmap check (SDM Vol. 1 §19.5.2): #GP(0) unless every bit is clear. */
export function checkIoBitmap(c, port, size) {
    if ((c.trAr & 0xf) !== SysType.TSS32_BUSY && (c.trAr & 0xf) !== SysType.TSS32)
        c.gp(0);
    if (c.trLimit < 0x67)
        c.gp(0);
    const bm = c.sysRead16((c.trBase + 0x66) | 0);
    const at = bm + (port >> 3);
    if (at + 1 > c.trLimit)
        c.gp(0);
    const bits = c.sysRead16((c.trBase + at) | 0);
    const mask = ((1 << size) - 1) << (port & 7);
    if ((bits & mask) !== 0)
        c.gp(0);
}
//# sourceMappingURL=protected-mode.js.map