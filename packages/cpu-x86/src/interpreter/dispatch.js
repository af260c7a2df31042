import { OPCODE_INFO } from '../opcode-table.js';
import * as I from './ops-integer.js';
import * as S from './ops-system.js';
function group5(c) {
    I.group5(c, S.farTransfer);
}
/** Handler of each implemented opcode index. */
function handlerFor(i) {
    if (i < 0x100) {
        if (i < 0x40) {
            const lo = i & 7;
            if (lo === 0)
                return I.aluEbGb;
            if (lo === 1)
                return I.aluEvGv;
            if (lo === 2)
                return I.aluGbEb;
            if (lo === 3)
                return I.aluGvEv;
            if (lo === 4)
                return I.aluAlIb;
            if (lo === 5)
                return I.aluAxIz;
            if (i === 0x0f)
                return S.escape0f;
            if (i === 0x27)
                return I.daa;
            if (i === 0x2f)
                return I.das;
            if (i === 0x37 || i === 0x3f)
                return I.aaaAas;
            if (i === 0x26 || i === 0x2e || i === 0x36 || i === 0x3e)
                return S.segPrefix;
            if (lo === 6)
                return S.pushSeg;
            return S.popSeg;
        }
        if (i < 0x48)
            return I.incReg;
        if (i < 0x50)
            return I.decReg;
        if (i < 0x58)
            return I.pushReg;
        if (i < 0x60)
            return I.popReg;
        if (i >= 0x70 && i < 0x80)
            return I.jccRel8;
        if (i >= 0x91 && i < 0x98)
            return I.xchgAx;
        if (i >= 0xb0 && i < 0xb8)
            return I.movR8Ib;
        if (i >= 0xb8 && i < 0xc0)
            return I.movRIv;
        if (i >= 0xd8 && i < 0xe0)
            return S.fpuEscape;
        const one = {
            0x60: I.pusha, 0x61: I.popa, 0x62: I.bound, 0x63: S.arpl, 0x64: S.segPrefix, 0x65: S.segPrefix,
            0x66: S.opsizePrefix, 0x67: S.adsizePrefix, 0x68: I.pushIz, 0x69: I.imulGvEvI, 0x6a: I.pushIb,
            0x6b: I.imulGvEvI, 0x6c: S.ins, 0x6d: S.ins, 0x6e: S.outs, 0x6f: S.outs,
            0x80: I.group1, 0x81: I.group1, 0x82: I.group1, 0x83: I.group1, 0x84: I.testEbGb, 0x85: I.testEvGv,
            0x86: I.xchgEbGb, 0x87: I.xchgEvGv, 0x88: I.movEbGb, 0x89: I.movEvGv, 0x8a: I.movGbEb, 0x8b: I.movGvEv,
            0x8c: S.movEvSw, 0x8d: I.lea, 0x8e: S.movSwEw, 0x8f: I.popEv, 0x90: I.nop, 0x98: I.cbw, 0x99: I.cwd,
            0x9a: S.farDirect, 0x9b: S.fwait, 0x9c: S.pushf, 0x9d: S.popf, 0x9e: I.sahf, 0x9f: I.lahf,
            0xa0: I.movMoffs, 0xa1: I.movMoffs, 0xa2: I.movMoffs, 0xa3: I.movMoffs, 0xa4: I.movs, 0xa5: I.movs,
            0xa6: I.cmpsScas, 0xa7: I.cmpsScas, 0xa8: I.testAlIb, 0xa9: I.testAxIz, 0xaa: I.stos, 0xab: I.stos,
            0xac: I.lods, 0xad: I.lods, 0xae: I.cmpsScas, 0xaf: I.cmpsScas,
            0xc0: I.group2, 0xc1: I.group2, 0xc2: I.retNear, 0xc3: I.retNear, 0xc4: S.loadFarPointer,
            0xc5: S.loadFarPointer, 0xc6: I.movEbIb, 0xc7: I.movEvIz, 0xc8: I.enter, 0xc9: I.leave,
            0xca: S.retFar, 0xcb: S.retFar, 0xcc: S.int3, 0xcd: S.intN, 0xce: S.into, 0xcf: S.iret,
            0xd0: I.group2, 0xd1: I.group2, 0xd2: I.group2, 0xd3: I.group2, 0xd4: I.aam, 0xd5: I.aad,
            0xd6: I.salc, 0xd7: I.xlat, 0xe0: I.loop, 0xe1: I.loop, 0xe2: I.loop, 0xe3: I.loop,
            0xe4: S.inPort, 0xe5: S.inPort, 0xe6: S.outPort, 0xe7: S.outPort, 0xe8: I.callRel, 0xe9: I.jmpRelZ,
            0xea: S.farDirect, 0xeb: I.jmpRel8, 0xec: S.inPort, 0xed: S.inPort, 0xee: S.outPort, 0xef: S.outPort,
            0xf0: S.lockPrefix, 0xf1: S.int1, 0xf2: S.repPrefix, 0xf3: S.repPrefix, 0xf4: S.hlt, 0xf5: I.cmc,
            0xf6: I.group3, 0xf7: I.group3, 0xf8: I.clcStc, 0xf9: I.clcStc, 0xfa: S.cliSti, 0xfb: S.cliSti,
            0xfc: I.cldStd, 0xfd: I.cldStd, 0xfe: I.group4, 0xff: group5,
        };
        return one[i];
    }
    const op = i & 0xff;
    if (op >= 0x40 && op < 0x50)
        return I.cmov;
    if (op >= 0x80 && op < 0x90)
        return I.jccRelZ;
    if (op >= 0x90 && op < 0xa0)
        return I.setcc;
    if (op >= 0xc8)
        return I.bswap;
    if (op >= 0x18 && op < 0x20)
        return I.nopEv;
    const two = {
        0x00: S.group6, 0x01: S.group7, 0x02: S.larLsl, 0x03: S.larLsl, 0x06: S.clts, 0x08: S.invd, 0x09: S.invd,
        0x0b: S.undefinedOpcode, 0x20: S.movCr, 0x21: S.movDr, 0x22: S.movCr, 0x23: S.movDr,
        0x30: S.wrmsr, 0x31: S.rdtsc, 0x32: S.rdmsr, 0x33: S.rdpmc, 0x34: S.sysenter, 0x35: S.sysexit,
        0xa0: S.pushSeg, 0xa1: S.popSeg, 0xa2: S.cpuid, 0xa3: I.btEvGv, 0xa4: I.shld, 0xa5: I.shld,
        0xa8: S.pushSeg, 0xa9: S.popSeg, 0xab: I.btEvGv, 0xac: I.shld, 0xad: I.shld, 0xae: S.group15,
        0xaf: I.imulGvEv, 0xb0: I.cmpxchg, 0xb1: I.cmpxchg, 0xb2: S.loadFarPointer, 0xb3: I.btEvGv,
        0xb4: S.loadFarPointer, 0xb5: S.loadFarPointer, 0xb6: I.movzx, 0xb7: I.movzx, 0xb9: S.undefinedOpcode,
        0xba: I.group8, 0xbb: I.btEvGv, 0xbc: I.bsfBsr, 0xbd: I.bsfBsr, 0xbe: I.movsx, 0xbf: I.movsx,
        0xc0: I.xadd, 0xc1: I.xadd, 0xc7: I.cmpxchg8b, 0xff: S.undefinedOpcode,
    };
    return two[op];
}
let base;
/** A fresh copy of the dispatch table (each CPU owns one, so a policy can wrap entries). */
export function buildDispatchTable() {
    if (base === undefined) {
        const t = [];
        for (let i = 0; i < 512; i++) {
            const info = OPCODE_INFO[i];
            const implemented = info.defined && info.forms.some((f) => f.implemented);
            const h = implemented ? handlerFor(i) : undefined;
            t.push(h ?? S.undefinedOpcode);
        }
        base = t;
    }
    return base.slice();
}
/** Whether opcode index `i` has a handler other than #UD (for the coverage table). */
export function hasHandler(i) {
    return handlerFor(i) !== undefined;
}
//# sourceMappingURL=dispatch.js.map