import { Cr0, Cr4, Seg } from '../constants.js';
import { Vector } from '../cpu-fault.js';
import { Eflags } from '../flags.js';
import { OPCODE_INFO, formOf } from '../opcode-table.js';
import * as pm from '../protected-mode.js';
import { osz, setRegV } from './operands.js';
const { IF, TF, IOPL, VM, RF, NT, AC, ID, VIF, VIP } = Eflags;
// ---------------------------------------------------------------- prefixes
function prefixCheck(c) {
    if (c.ip - c.eip >= 14)
        c.gp(0);
}
/** Continues decoding after a prefix. */
function next(c) {
    const op = c.fetch8();
    c.opcode = op;
    c.ops[op](c);
}
/** Segment override prefixes (26 2E 36 3E 64 65). */
export function segPrefix(c) {
    prefixCheck(c);
    const o = c.opcode;
    c.segOvr = o === 0x64 ? Seg.FS : o === 0x65 ? Seg.GS : (o >> 3) & 3;
    next(c);
    c.segOvr = -1;
}
/** Operand-size prefix (66). */
export function opsizePrefix(c) {
    prefixCheck(c);
    c.os32 = !c.csD;
    next(c);
    // The instruction may have changed CS.D (a far jump): restore the new default.
    c.os32 = c.csD;
}
/** Address-size prefix (67). */
export function adsizePrefix(c) {
    prefixCheck(c);
    c.as32 = !c.csD;
    next(c);
    c.as32 = c.csD;
}
/** REPNE (F2) and REP/REPE (F3). */
export function repPrefix(c) {
    prefixCheck(c);
    c.rep = c.opcode === 0xf2 ? 1 : 2;
    next(c);
    c.rep = 0;
}
/**
 * LOCK (F0): #UD unless the instruction is a lockable form (opcode table) with a memory
 * destination (SDM Vol. 2 "LOCK"). The check peeks ahead and then decodes normally.
 */
export function lockPrefix(c) {
    prefixCheck(c);
    const save = c.ip;
    let b = c.fetch8();
    let n = 0;
    while ((b === 0x26 || b === 0x2e || b === 0x36 || b === 0x3e || b === 0x64 || b === 0x65 || b === 0x66 || b === 0x67 || b === 0xf2 || b === 0xf3 || b === 0xf0) && n < 14) {
        b = c.fetch8();
        n++;
    }
    let index = b;
    if (b === 0x0f)
        index = 0x100 | c.fetch8();
    const info = OPCODE_INFO[index];
    if (!info.modrm)
        c.ud();
    const modrm = c.fetch8();
    const form = formOf(index, modrm);
    if (form === undefined || !form.lockable || modrm >= 0xc0)
        c.ud();
    c.ip = save;
    c.lockPrefix = true;
    next(c);
    c.lockPrefix = false;
}
/** Two-byte opcode escape (0F). */
export function escape0f(c) {
    const op = c.fetch8();
    c.opcode = 0x100 | op;
    c.ops[0x100 | op](c);
}
/** Undefined opcodes, UD0, UD1, UD2. */
export function undefinedOpcode(c) {
    c.ud();
}
// ---------------------------------------------------------------- segment registers
/**
 * PUSH ES/CS/SS/DS (06 0E 16 1E), FS/GS (0F A0 A8). With a 32-bit operand size the SDM allows a
 * zero-extended push or a 16-bit write; Popek zero-extends, as the host processors it is
 * compared against do.
 */
export function pushSeg(c) {
    const o = c.opcode;
    const seg = o === 0x1a0 ? Seg.FS : o === 0x1a8 ? Seg.GS : (o >> 3) & 3;
    c.pushV(c.segSel[seg]);
}
/** POP ES/SS/DS (07 17 1F), FS/GS (0F A1 A9). */
export function popSeg(c) {
    const o = c.opcode;
    const seg = o === 0x1a1 ? Seg.FS : o === 0x1a9 ? Seg.GS : (o >> 3) & 3;
    const s = osz(c);
    const v = c.rdN(Seg.SS, c.sp(), s) & 0xffff;
    c.loadSeg(seg, v);
    c.setSp(c.spAdd(s));
    if (seg === Seg.SS)
        c.interruptShadow();
}
/** MOV Ev,Sw (8C). */
export function movEvSw(c) {
    const m = c.fetch8();
    const seg = (m >> 3) & 7;
    if (seg > 5)
        c.ud();
    const v = c.segSel[seg];
    if (m >= 0xc0)
        setRegV(c, m & 7, v);
    else
        c.setRm16(m, v);
}
/** MOV Sw,Ew (8E): loading CS is #UD; loading SS blocks interrupts for one instruction. */
export function movSwEw(c) {
    const m = c.fetch8();
    const seg = (m >> 3) & 7;
    if (seg > 5 || seg === Seg.CS)
        c.ud();
    const v = c.rm16(m);
    c.loadSeg(seg, v);
    if (seg === Seg.SS)
        c.interruptShadow();
}
/** LES/LDS (C4 C5), LSS/LFS/LGS (0F B2 B4 B5). */
export function loadFarPointer(c) {
    const m = c.fetch8();
    if (m >= 0xc0)
        c.ud();
    const o = c.opcode;
    const seg = o === 0xc4 ? Seg.ES : o === 0xc5 ? Seg.DS : o === 0x1b2 ? Seg.SS : o === 0x1b4 ? Seg.FS : Seg.GS;
    const s = osz(c);
    const off = c.ea(m);
    const es = c.eaSeg;
    const v = c.rdN(es, off, s);
    const sel = c.rd16(es, c.as32 ? (off + s) >>> 0 : (off + s) & 0xffff);
    c.loadSeg(seg, sel);
    setRegV(c, (m >> 3) & 7, v);
    if (seg === Seg.SS)
        c.interruptShadow();
}
// ---------------------------------------------------------------- far control transfer
/** Far JMP or CALL to `sel:off` in the current mode. */
export function farTransfer(c, call, sel, off) {
    if (c.protectedMode) {
        if (call)
            pm.farCall(c, sel, off);
        else
            pm.farJump(c, sel, off);
        return;
    }
    if ((off >>> 0) > 0xffff && !c.os32)
        c.gp(0);
    if (call) {
        const cs = c.segSel[Seg.CS];
        const ret = c.ip;
        // Check both pushes before changing anything.
        const s = osz(c);
        c.probeWrite(Seg.SS, c.spAdd(-2 * s), 2 * s);
        c.pushV(cs);
        c.pushV(ret);
    }
    c.loadSegReal(Seg.CS, sel);
    c.ip = off;
}
/** CALLF Ap (9A) and JMPF Ap (EA). */
export function farDirect(c) {
    if (c.opcode === 0x9a || c.opcode === 0xea) {
        const off = c.os32 ? c.fetch32() : c.fetch16();
        const sel = c.fetch16();
        farTransfer(c, c.opcode === 0x9a, sel, off);
    }
}
/** RETF (CB) and RETF Iw (CA). */
export function retFar(c) {
    const n = c.opcode === 0xca ? c.fetch16() : 0;
    if (c.protectedMode) {
        pm.farReturn(c, n);
        return;
    }
    const s = osz(c);
    const sp = c.sp();
    const off = c.rdN(Seg.SS, sp, s);
    const sel = c.rdN(Seg.SS, c.ssB ? (sp + s) >>> 0 : (sp + s) & 0xffff, s) & 0xffff;
    const t = s === 4 ? off : off & 0xffff;
    // Real mode keeps the CS limit across far transfers (64 KiB unless left larger by protected mode).
    if ((t >>> 0) > c.segLimit[Seg.CS])
        c.gp(0);
    c.loadSegReal(Seg.CS, sel);
    c.ip = t;
    c.setSp(c.spAdd(2 * s + n));
}
// ---------------------------------------------------------------- interrupts
/** INT Ib (CD): IOPL-sensitive in virtual-8086 mode. */
export function intN(c) {
    const v = c.fetch8();
    if (c.v86) {
        if ((c.cr4 & Cr4.VME) !== 0) {
            // Virtual-8086 mode extensions (SDM Vol. 3A §20.3.3, Table 20-2, methods 4–6): a clear bit
            // in the TSS interrupt redirection bitmap sends INT n to the v8086 task's own IVT.
            if (!redirectionBitSet(c, v)) {
                v86Interrupt(c, v);
                return;
            }
            if ((c.flags & IOPL) !== IOPL)
                c.gp(0);
        }
        else if ((c.flags & IOPL) !== IOPL)
            c.gp(0);
    }
    c.deliverEvent(v, -1, 0);
}
/** Whether bit `v` of the TSS interrupt redirection bitmap (32 bytes below the I/O map) is set. */
function redirectionBitSet(c, v) {
    if ((c.trAr & 0xf) !== 0xb && (c.trAr & 0xf) !== 0x9)
        c.gp(0);
    const bm = c.sysRead16((c.trBase + 0x66) | 0);
    const at = bm - 32 + (v >> 3);
    if (at < 0 || at > c.trLimit)
        c.gp(0);
    return (c.sysRead8((c.trBase + at) | 0) & (1 << (v & 7))) !== 0;
}
/**
 * A software interrupt handled inside the virtual-8086 task through its IVT at linear 0 (VME):
 * push FLAGS (with IOPL < 3: IF replaced by VIF, IOPL shown as 3), CS and IP; clear TF and IF
 * (or VIF with IOPL < 3).
 */
function v86Interrupt(c, v) {
    const iopl3 = (c.flags & IOPL) === IOPL;
    const ivt = v * 4;
    const ip = c.readLin16(ivt);
    const cs = c.readLin16(ivt + 2);
    let f = c.getEflags() & 0xffff;
    if (!iopl3)
        f = (f & ~IF) | ((c.flags & VIF) !== 0 ? IF : 0) | IOPL;
    const sp = c.spAdd(-6);
    c.probeWrite(Seg.SS, sp, 6);
    c.push16(f);
    c.push16(c.segSel[Seg.CS]);
    c.push16(c.ip & 0xffff);
    c.flags &= ~(TF | Eflags.AC);
    if (iopl3)
        c.flags &= ~IF;
    else
        c.flags &= ~VIF;
    c.loadSegReal(Seg.CS, cs);
    c.ip = ip;
}
/** With VME (v8086, IOPL < 3) or PVI (CPL 3, IOPL < 3), CLI/STI and friends act on VIF. */
function virtualInterrupts(c) {
    if ((c.flags & IOPL) === IOPL)
        return false;
    if (c.v86)
        return (c.cr4 & Cr4.VME) !== 0;
    return c.protectedMode && c.cpl === 3 && (c.cr4 & Cr4.PVI) !== 0;
}
/** INT3 (CC). */
export function int3(c) {
    c.deliverEvent(Vector.BP, -1, 0);
}
/** INTO (CE). */
export function into(c) {
    if (c.of())
        c.deliverEvent(Vector.OF, -1, 0);
}
/** INT1 / ICEBP (F1): a #DB trap delivered as by hardware (no gate DPL check). */
export function int1(c) {
    c.deliverEvent(Vector.DB, -1, 1);
}
/** IRET/IRETD (CF). */
export function iret(c) {
    if (c.protectedMode || c.v86) {
        pm.iretProtected(c);
    }
    else {
        const s = osz(c);
        const sp = c.sp();
        const ip = c.rdN(Seg.SS, sp, s);
        const cs = c.rdN(Seg.SS, c.spAdd(s), s) & 0xffff;
        const fl = c.rdN(Seg.SS, c.spAdd(2 * s), s);
        c.setSp(c.spAdd(3 * s));
        c.loadSegReal(Seg.CS, cs);
        c.ip = s === 4 ? ip : ip & 0xffff;
        const mask = s === 4 ? ~(VM | VIF | VIP) : 0xffff;
        c.setEflags(fl, mask);
    }
    c.nmiBlocked = false;
}
/** HLT (F4): CPL 0 only. */
export function hlt(c) {
    if (c.cpl !== 0)
        c.gp(0);
    c.halt();
}
/** CLI (FA) and STI (FB): IOPL-sensitive. STI blocks interrupts for one instruction. */
export function cliSti(c) {
    const iopl = (c.flags & IOPL) >> 12;
    if ((c.protectedMode || c.v86) && c.cpl > iopl) {
        if (!virtualInterrupts(c))
            c.gp(0);
        // VME/PVI: CLI clears VIF; STI sets it, or faults when a virtual interrupt is pending.
        if (c.opcode === 0xfa)
            c.flags &= ~VIF;
        else {
            if ((c.flags & VIP) !== 0)
                c.gp(0);
            c.flags |= VIF;
        }
        return;
    }
    if (c.opcode === 0xfa)
        c.flags &= ~IF;
    else {
        if ((c.flags & IF) === 0)
            c.interruptShadow();
        c.flags |= IF;
    }
}
/** PUSHF (9C): pushes EFLAGS with VM and RF clear; #GP in v8086 mode with IOPL < 3. */
export function pushf(c) {
    if (c.v86 && (c.flags & IOPL) !== IOPL) {
        // VME: a 16-bit PUSHF shows VIF as IF and IOPL as 3 (SDM Vol. 3A §20.3.1, Table 20-2).
        if ((c.cr4 & Cr4.VME) === 0 || c.os32)
            c.gp(0);
        const f = c.getEflags();
        c.push16(((f & ~(IF | IOPL)) | ((f & VIF) !== 0 ? IF : 0) | IOPL) & 0xffff);
        return;
    }
    const f = c.getEflags() & ~(VM | RF);
    if (c.os32)
        c.push32(f);
    else
        c.push16(f & 0xffff);
}
/** POPF (9D): which bits change depends on CPL and IOPL (SDM Vol. 2 "POPF"). */
export function popf(c) {
    if (c.v86 && (c.flags & IOPL) !== IOPL) {
        // VME: a 16-bit POPF loads VIF from the IF bit; TF set, or IF set with VIP pending, is #GP.
        if ((c.cr4 & Cr4.VME) === 0 || c.os32)
            c.gp(0);
        const v = c.rd16(Seg.SS, c.sp());
        if ((v & TF) !== 0 || ((v & IF) !== 0 && (c.flags & VIP) !== 0))
            c.gp(0);
        c.setSp(c.spAdd(2));
        c.setEflags(v, 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x400 | 0x800 | NT);
        c.flags = (c.flags & ~VIF) | ((v & IF) !== 0 ? VIF : 0);
        return;
    }
    const s = osz(c);
    const v = c.rdN(Seg.SS, c.sp(), s);
    let mask = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | TF | 0x400 | 0x800 | NT | AC | ID;
    const iopl = (c.flags & IOPL) >> 12;
    if (!c.protectedMode && !c.v86)
        mask |= IF | IOPL;
    else {
        if (c.cpl <= iopl)
            mask |= IF;
        if (c.cpl === 0 && !c.v86)
            mask |= IOPL;
    }
    if (s === 2)
        mask &= 0xffff;
    c.setSp(c.spAdd(s));
    c.setEflags(v, mask);
}
// ---------------------------------------------------------------- I/O
function ioWidth(c) {
    return (c.opcode & 1) === 0 ? 1 : c.os32 ? 4 : 2;
}
/** Checks IOPL and the TSS I/O permission bitmap for an access to `port` of `size` bytes. */
function ioCheck(c, port, size) {
    if (c.v86 || (c.protectedMode && c.cpl > (c.flags & IOPL) >> 12))
        pm.checkIoBitmap(c, port, size);
}
/** IN AL/eAX,Ib (E4 E5) and IN AL/eAX,DX (EC ED). */
export function inPort(c) {
    const w = ioWidth(c);
    const port = c.opcode < 0xec ? c.fetch8() : c.r16[4];
    ioCheck(c, port, w);
    const v = c.bus.ioRead(port, w);
    if (w === 1)
        c.r8[0] = v;
    else if (w === 2)
        c.r16[0] = v;
    else
        c.regs[0] = v;
}
/** OUT Ib,AL/eAX (E6 E7) and OUT DX,AL/eAX (EE EF). */
export function outPort(c) {
    const w = ioWidth(c);
    const port = c.opcode < 0xee ? c.fetch8() : c.r16[4];
    ioCheck(c, port, w);
    const v = w === 1 ? c.r8[0] : w === 2 ? c.r16[0] : c.regs[0] >>> 0;
    // retired() counts the instructions before this one, so device time is exact and deterministic.
    c.bus.ioWrite(port, w, v);
}
/** INS (6C 6D). */
export function ins(c) {
    const w = c.opcode === 0x6c ? 1 : c.os32 ? 4 : 2;
    const port = c.r16[4];
    ioCheck(c, port, w);
    const d = (c.flags & Eflags.DF) !== 0 ? -w : w;
    const a32 = c.as32;
    let n = c.rep === 0 ? 1 : a32 ? c.regs[1] >>> 0 : c.r16[2];
    let k = 0;
    while (n !== 0 && k < 1024) {
        const di = a32 ? c.regs[7] >>> 0 : c.r16[14];
        c.probeWrite(Seg.ES, di, w);
        c.wrN(Seg.ES, di, w, c.bus.ioRead(port, w));
        if (a32)
            c.regs[7] = di + d;
        else
            c.r16[14] = di + d;
        n--;
        if (c.rep !== 0) {
            if (a32)
                c.regs[1] = n;
            else
                c.r16[2] = n;
        }
        k++;
    }
    if (n !== 0)
        c.ip = c.eip;
}
/** OUTS (6E 6F). */
export function outs(c) {
    const w = c.opcode === 0x6e ? 1 : c.os32 ? 4 : 2;
    const port = c.r16[4];
    ioCheck(c, port, w);
    const src = c.segOvr >= 0 ? c.segOvr : Seg.DS;
    const d = (c.flags & Eflags.DF) !== 0 ? -w : w;
    const a32 = c.as32;
    let n = c.rep === 0 ? 1 : a32 ? c.regs[1] >>> 0 : c.r16[2];
    let k = 0;
    while (n !== 0 && k < 1024) {
        const si = a32 ? c.regs[6] >>> 0 : c.r16[12];
        const v = c.rdN(src, si, w);
        c.bus.ioWrite(port, w, w === 4 ? v >>> 0 : v);
        if (a32)
            c.regs[6] = si + d;
        else
            c.r16[12] = si + d;
        n--;
        if (c.rep !== 0) {
            if (a32)
                c.regs[1] = n;
            else
                c.r16[2] = n;
        }
        k++;
    }
    if (n !== 0)
        c.ip = c.eip;
}
// ---------------------------------------------------------------- 0F 00 / 0F 01 and descriptor queries
function requireProtected(c) {
    if (!c.protectedMode)
        c.ud();
}
function requireCpl0(c) {
    if (c.cpl !== 0)
        c.gp(0);
}
/** Group 6 (0F 00): SLDT, STR, LLDT, LTR, VERR, VERW. */
export function group6(c) {
    const m = c.fetch8();
    const op = (m >> 3) & 7;
    requireProtected(c);
    switch (op) {
        case 0:
        case 1: {
            const v = op === 0 ? c.ldtrSel : c.trSel;
            if (m >= 0xc0)
                setRegV(c, m & 7, v);
            else
                c.setRm16(m, v);
            return;
        }
        case 2:
        case 3: {
            const sel = c.rm16(m);
            requireCpl0(c);
            if (op === 2)
                pm.lldt(c, sel);
            else
                pm.ltr(c, sel);
            return;
        }
        case 4:
        case 5:
            pm.verify(c, c.rm16(m), op === 5);
            return;
        default:
            c.ud();
    }
}
/** Group 7 (0F 01): SGDT, SIDT, LGDT, LIDT, SMSW, LMSW, INVLPG. */
export function group7(c) {
    const m = c.fetch8();
    const op = (m >> 3) & 7;
    switch (op) {
        case 0:
        case 1: {
            if (m >= 0xc0)
                c.ud();
            const off = c.ea(m);
            const seg = c.eaSeg;
            const base = op === 0 ? c.gdtrBase : c.idtrBase;
            const limit = op === 0 ? c.gdtrLimit : c.idtrLimit;
            c.probeWrite(seg, off, 6);
            c.wr16(seg, off, limit);
            c.wr32(seg, c.as32 ? (off + 2) >>> 0 : (off + 2) & 0xffff, c.os32 ? base : base & 0xffffff);
            return;
        }
        case 2:
        case 3: {
            if (m >= 0xc0)
                c.ud();
            const off = c.ea(m);
            const seg = c.eaSeg;
            if ((c.protectedMode || c.v86) && c.cpl !== 0)
                c.gp(0);
            const limit = c.rd16(seg, off);
            let base = c.rd32(seg, c.as32 ? (off + 2) >>> 0 : (off + 2) & 0xffff);
            if (!c.os32)
                base &= 0xffffff;
            if (op === 2) {
                c.gdtrBase = base;
                c.gdtrLimit = limit;
            }
            else {
                c.idtrBase = base;
                c.idtrLimit = limit;
            }
            return;
        }
        case 4:
            if (m >= 0xc0)
                setRegV(c, m & 7, c.os32 ? c.cr0 : c.cr0 & 0xffff);
            else
                c.setRm16(m, c.cr0 & 0xffff);
            return;
        case 6: {
            const v = c.rm16(m);
            if ((c.protectedMode || c.v86) && c.cpl !== 0)
                c.gp(0);
            // LMSW sets PE but never clears it, and changes only PE, MP, EM, TS (SDM Vol. 2 "LMSW").
            const nv = (c.cr0 & ~0xe) | (v & 0xf) | (c.cr0 & 1);
            c.writeCr0(nv);
            if ((nv & 1) !== 0)
                c.modeChanged();
            return;
        }
        case 7: {
            if (m >= 0xc0)
                c.ud();
            const off = c.ea(m);
            if ((c.protectedMode || c.v86) && c.cpl !== 0)
                c.gp(0);
            c.mmu.invlpg(((c.segBase[c.eaSeg] + off) | 0) >>> 0);
            c.fetchLen = 0;
            return;
        }
        default:
            c.ud();
    }
}
/** LAR (0F 02) and LSL (0F 03). */
export function larLsl(c) {
    const m = c.fetch8();
    requireProtected(c);
    const sel = c.rm16(m);
    const r = pm.queryDescriptor(c, sel, c.opcode === 0x103);
    c.materialize();
    if (r === undefined) {
        c.flags &= ~Eflags.ZF;
        return;
    }
    c.flags |= Eflags.ZF;
    if (c.opcode === 0x102)
        setRegV(c, (m >> 3) & 7, c.os32 ? r & 0x00f0ff00 : r & 0xff00);
    else
        setRegV(c, (m >> 3) & 7, r);
}
/** ARPL Ew,Gw (63): #UD outside protected mode. */
export function arpl(c) {
    const m = c.fetch8();
    requireProtected(c);
    const src = c.r16[((m >> 3) & 7) << 1];
    c.materialize();
    if (m >= 0xc0) {
        const d = c.r16[(m & 7) << 1];
        if ((d & 3) < (src & 3)) {
            c.r16[(m & 7) << 1] = (d & ~3) | (src & 3);
            c.flags |= Eflags.ZF;
        }
        else
            c.flags &= ~Eflags.ZF;
        return;
    }
    const d = c.rmwLoad(m, 2);
    if ((d & 3) < (src & 3)) {
        c.rmwStore(2, (d & ~3) | (src & 3));
        c.flags |= Eflags.ZF;
    }
    else {
        c.rmwStore(2, d);
        c.flags &= ~Eflags.ZF;
    }
}
// ---------------------------------------------------------------- control and debug registers
/** CLTS (0F 06). */
export function clts(c) {
    if ((c.protectedMode || c.v86) && c.cpl !== 0)
        c.gp(0);
    c.cr0 &= ~Cr0.TS;
}
/** INVD (0F 08) and WBINVD (0F 09): no caches to flush. */
export function invd(c) {
    if ((c.protectedMode || c.v86) && c.cpl !== 0)
        c.gp(0);
}
/** MOV r32,CRn / CRn,r32 (0F 20 22): the ModRM mod field is ignored (always a register). */
export function movCr(c) {
    const m = c.fetch8();
    const cr = (m >> 3) & 7;
    const r = m & 7;
    if (cr === 1 || cr > 4)
        c.ud();
    if ((c.protectedMode || c.v86) && c.cpl !== 0)
        c.gp(0);
    if (c.opcode === 0x120) {
        c.regs[r] = cr === 0 ? c.cr0 : cr === 2 ? c.cr2 : cr === 3 ? c.cr3 : c.cr4;
        return;
    }
    const v = c.regs[r];
    if (cr === 0)
        c.writeCr0(v);
    else if (cr === 2)
        c.cr2 = v;
    else if (cr === 3)
        c.writeCr3(v);
    else
        c.writeCr4(v);
}
/** MOV r32,DRn / DRn,r32 (0F 21 23): DR4/DR5 alias DR6/DR7 unless CR4.DE. */
export function movDr(c) {
    const m = c.fetch8();
    let dr = (m >> 3) & 7;
    const r = m & 7;
    if ((c.protectedMode || c.v86) && c.cpl !== 0)
        c.gp(0);
    if ((c.dr[7] & 0x2000) !== 0) {
        // DR7.GD: general detect — any MOV DR faults with DR6.BD, and GD clears (SDM Vol. 3B §17.2.4).
        c.dr[7] = c.dr[7] & ~0x2000;
        c.dr[6] = c.dr[6] | 0x2000;
        c.raise(Vector.DB);
    }
    if (dr === 4 || dr === 5) {
        if ((c.cr4 & Cr4.DE) !== 0)
            c.ud();
        dr += 2;
    }
    if (c.opcode === 0x121) {
        c.regs[r] = c.dr[dr];
        return;
    }
    let v = c.regs[r];
    if (dr === 6)
        v = (v & 0xe00f) | 0xffff0ff0;
    else if (dr === 7)
        v = (v & 0xffff2bff) | 0x400;
    c.dr[dr] = v;
    if (dr === 7)
        c.breakpointsChanged();
}
// ---------------------------------------------------------------- MSRs, TSC, CPUID, SYSENTER
/** WRMSR (0F 30). */
export function wrmsr(c) {
    if (c.cpl !== 0)
        c.gp(0);
    const value = (BigInt(c.regs[2] >>> 0) << 32n) | BigInt(c.regs[0] >>> 0);
    if (!c.writeMsr(c.regs[1], value))
        c.gp(0);
}
/** RDMSR (0F 32). */
export function rdmsr(c) {
    if (c.cpl !== 0)
        c.gp(0);
    const v = c.readMsr(c.regs[1]);
    if (v === undefined)
        c.gp(0);
    c.regs[0] = Number(v & 0xffffffffn);
    c.regs[2] = Number((v >> 32n) & 0xffffffffn);
}
/** RDTSC (0F 31): privileged with CR4.TSD. */
export function rdtsc(c) {
    if ((c.cr4 & Cr4.TSD) !== 0 && c.cpl !== 0)
        c.gp(0);
    const t = c.tscNow() + c.tscOffset;
    c.regs[0] = t % 0x1_0000_0000;
    c.regs[2] = Math.floor(t / 0x1_0000_0000);
}
/** RDPMC (0F 33): two counters that read as zero. */
export function rdpmc(c) {
    if ((c.cr4 & Cr4.PCE) === 0 && c.cpl !== 0)
        c.gp(0);
    if ((c.regs[1] >>> 0) > 1)
        c.gp(0);
    c.regs[0] = 0;
    c.regs[2] = 0;
}
const cpuidOut = new Int32Array(4);
/** CPUID (0F A2). */
export function cpuid(c) {
    c.cpuid(c.regs[0], cpuidOut);
    c.regs[0] = cpuidOut[0];
    c.regs[3] = cpuidOut[1];
    c.regs[1] = cpuidOut[2];
    c.regs[2] = cpuidOut[3];
}
/** SYSENTER (0F 34) — SDM Vol. 2 "SYSENTER". */
export function sysenter(c) {
    if ((c.cr0 & Cr0.PE) === 0)
        c.gp(0);
    const cs = c.sysenterCs & 0xfffc;
    if (cs === 0)
        c.gp(0);
    c.setEflags(0, VM | IF | RF);
    c.setSegCache(Seg.CS, cs, 0, 0xffffffff, 0xc09b);
    c.setSegCache(Seg.SS, (cs + 8) & 0xfffc, 0, 0xffffffff, 0xc093);
    c.cpl = 0;
    c.modeChanged();
    c.regs[4] = c.sysenterEsp;
    c.ip = c.sysenterEip;
}
/** SYSEXIT (0F 35) — SDM Vol. 2 "SYSEXIT". */
export function sysexit(c) {
    const cs = c.sysenterCs & 0xfffc;
    if ((c.cr0 & Cr0.PE) === 0 || c.v86 || c.cpl !== 0 || cs === 0)
        c.gp(0);
    c.setSegCache(Seg.CS, (cs + 16) | 3, 0, 0xffffffff, 0xc0fb);
    c.setSegCache(Seg.SS, (cs + 24) | 3, 0, 0xffffffff, 0xc0f3);
    c.cpl = 3;
    c.modeChanged();
    c.regs[4] = c.regs[1];
    c.ip = c.regs[2];
}
// ---------------------------------------------------------------- x87 seam
/** x87 instructions that do not wait for pending exceptions (FN… forms; SDM Vol. 1 §8.3.12). */
function isNonWaiting(op, m) {
    if (op === 0xdb && (m === 0xe2 || m === 0xe3))
        return true; // FNCLEX, FNINIT
    if (op === 0xdf && m === 0xe0)
        return true; // FNSTSW AX
    if (m < 0xc0) {
        const r = (m >> 3) & 7;
        if (op === 0xd9 && (r === 6 || r === 7))
            return true; // FNSTENV, FNSTCW
        if (op === 0xdd && (r === 6 || r === 7))
            return true; // FNSAVE, FNSTSW m16
    }
    return false;
}
/** Raises #MF for a pending unmasked x87 exception (CR0.NE = 1). */
function fpuPending(c) {
    if (c.fpu !== undefined && c.fpu.pendingException && (c.cr0 & Cr0.NE) !== 0)
        c.raise(Vector.MF);
}
/** x87 escape (D8–DF): #NM with CR0.EM or CR0.TS, then the x87 unit executes it. */
export function fpuEscape(c) {
    const op = c.opcode;
    const m = c.fetch8();
    let seg = -1;
    let off = 0;
    if (m < 0xc0) {
        off = c.ea(m);
        seg = c.eaSeg;
    }
    if ((c.cr0 & (Cr0.EM | Cr0.TS)) !== 0 || c.fpu === undefined)
        c.raise(Vector.NM);
    if (!isNonWaiting(op, m))
        fpuPending(c);
    const ctx = c.x87Ctx;
    ctx.opsize32 = c.os32;
    ctx.protectedMode = c.protectedMode;
    ctx.cs = c.segSel[Seg.CS];
    ctx.eip = c.eip;
    const flags = c.getEflags();
    ctx.eflags = flags;
    ctx.ax = c.r16[0];
    if (c.fpu.execute(op, m, seg, off, c.x87Mem, ctx) !== 0)
        c.ud();
    // FCOMI/FUCOMI write ZF PF CF (and clear OF SF AF); FNSTSW AX writes AX.
    if (ctx.eflags !== flags)
        c.setEflags(ctx.eflags, 0x8d5);
    c.r16[0] = ctx.ax;
}
/** WAIT/FWAIT (9B): #NM with CR0.MP and CR0.TS; delivers pending x87 exceptions. */
export function fwait(c) {
    if ((c.cr0 & (Cr0.MP | Cr0.TS)) === (Cr0.MP | Cr0.TS))
        c.raise(Vector.NM);
    fpuPending(c);
}
/** Group 15 (0F AE): FXSAVE /0 and FXRSTOR /1 (16-byte aligned operand, else #GP). */
export function group15(c) {
    const m = c.fetch8();
    const op = (m >> 3) & 7;
    if (m >= 0xc0 || op > 1 || c.fpu === undefined)
        c.ud();
    const off = c.ea(m);
    const seg = c.eaSeg;
    if ((c.cr0 & (Cr0.EM | Cr0.TS)) !== 0)
        c.raise(Vector.NM);
    if ((((c.segBase[seg] + off) | 0) & 15) !== 0)
        c.gp(0);
    const ctx = c.x87Ctx;
    ctx.opsize32 = c.os32;
    ctx.protectedMode = c.protectedMode;
    ctx.cs = c.segSel[Seg.CS];
    ctx.eip = c.eip;
    if (op === 0)
        c.fpu.fxsave(c.x87Mem, seg, off, ctx);
    else
        c.fpu.fxrstor(c.x87Mem, seg, off, ctx);
}
//# sourceMappingURL=ops-system.js.map