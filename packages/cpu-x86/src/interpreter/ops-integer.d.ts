/**
 * Handlers for the integer ISA: arithmetic and logic, shifts, multiply and divide, BCD, moves,
 * stack, near control transfer, string instructions, bit operations, and the 0F integer
 * extensions. System instructions live in ops-system.ts.
 */
import { type X86Cpu } from '../cpu.js';
/** ALU Eb,Gb (00 08 10 18 20 28 30 38). */
export declare function aluEbGb(c: X86Cpu): void;
/** ALU Ev,Gv (01 09 ...). */
export declare function aluEvGv(c: X86Cpu): void;
/** ALU Gb,Eb (02 0A ...). */
export declare function aluGbEb(c: X86Cpu): void;
/** ALU Gv,Ev (03 0B ...). */
export declare function aluGvEv(c: X86Cpu): void;
/** ALU AL,Ib (04 0C ...). */
export declare function aluAlIb(c: X86Cpu): void;
/** ALU eAX,Iz (05 0D ...). */
export declare function aluAxIz(c: X86Cpu): void;
/** Group 1 (80, 81, 82, 83): ALU r/m with an immediate. */
export declare function group1(c: X86Cpu): void;
/** Read-modify-write load at an already decoded offset (segment in `c.eaSeg`). */
export declare function rmwAt(c: X86Cpu, off: number, size: number): number;
/** TEST Eb,Gb (84). */
export declare function testEbGb(c: X86Cpu): void;
/** TEST Ev,Gv (85). */
export declare function testEvGv(c: X86Cpu): void;
/** TEST AL,Ib (A8). */
export declare function testAlIb(c: X86Cpu): void;
/** TEST eAX,Iz (A9). */
export declare function testAxIz(c: X86Cpu): void;
/** INC r (40–47). */
export declare function incReg(c: X86Cpu): void;
/** DEC r (48–4F). */
export declare function decReg(c: X86Cpu): void;
/** Group 4 (FE): INC/DEC Eb. */
export declare function group4(c: X86Cpu): void;
/** Group 3 (F6, F7): TEST, NOT, NEG, MUL, IMUL, DIV, IDIV. */
export declare function group3(c: X86Cpu): void;
/** IMUL Gv,Ev (0F AF). */
export declare function imulGvEv(c: X86Cpu): void;
/** IMUL Gv,Ev,Iz (69) and IMUL Gv,Ev,Ib (6B). */
export declare function imulGvEvI(c: X86Cpu): void;
/** Group 2 (C0 C1 D0 D1 D2 D3): rotates and shifts. */
export declare function group2(c: X86Cpu): void;
/** SHLD/SHRD Ev,Gv,Ib|CL (0F A4 A5 AC AD). */
export declare function shld(c: X86Cpu): void;
/** DAA (27) — SDM Vol. 2 "DAA". */
export declare function daa(c: X86Cpu): void;
/** DAS (2F) — SDM Vol. 2 "DAS". */
export declare function das(c: X86Cpu): void;
/** AAA (37) and AAS (3F) — SDM Vol. 2 "AAA", "AAS". */
export declare function aaaAas(c: X86Cpu): void;
/** AAM Ib (D4) — #DE when the immediate is 0. */
export declare function aam(c: X86Cpu): void;
/** AAD Ib (D5). */
export declare function aad(c: X86Cpu): void;
/** SALC (D6, undocumented): AL = CF ? FF : 00. */
export declare function salc(c: X86Cpu): void;
/** MOV Eb,Gb (88). */
export declare function movEbGb(c: X86Cpu): void;
/** MOV Ev,Gv (89). */
export declare function movEvGv(c: X86Cpu): void;
/** MOV Gb,Eb (8A). */
export declare function movGbEb(c: X86Cpu): void;
/** MOV Gv,Ev (8B). */
export declare function movGvEv(c: X86Cpu): void;
/** LEA Gv,M (8D). */
export declare function lea(c: X86Cpu): void;
/** MOV r8,Ib (B0–B7). */
export declare function movR8Ib(c: X86Cpu): void;
/** MOV r,Iv (B8–BF). */
export declare function movRIv(c: X86Cpu): void;
/** MOV Eb,Ib (C6 /0). */
export declare function movEbIb(c: X86Cpu): void;
/** MOV Ev,Iz (C7 /0). */
export declare function movEvIz(c: X86Cpu): void;
/** MOV AL/eAX,moffs and moffs,AL/eAX (A0–A3). */
export declare function movMoffs(c: X86Cpu): void;
/** XCHG Eb,Gb (86) — always locked on memory. */
export declare function xchgEbGb(c: X86Cpu): void;
/** XCHG Ev,Gv (87). */
export declare function xchgEvGv(c: X86Cpu): void;
/** XCHG r,eAX (91–97). */
export declare function xchgAx(c: X86Cpu): void;
/** NOP (90); F3 90 is PAUSE. */
export declare function nop(_c: X86Cpu): void;
/** Multi-byte NOP / hint space (0F 18–1F): decodes its ModRM and does nothing. */
export declare function nopEv(c: X86Cpu): void;
/** CBW/CWDE (98). */
export declare function cbw(c: X86Cpu): void;
/** CWD/CDQ (99). */
export declare function cwd(c: X86Cpu): void;
/** MOVZX Gv,Eb / Gv,Ew (0F B6 B7). */
export declare function movzx(c: X86Cpu): void;
/** MOVSX Gv,Eb / Gv,Ew (0F BE BF). */
export declare function movsx(c: X86Cpu): void;
/** BSWAP r32 (0F C8–CF); with a 16-bit operand size the result is undefined (P6: zero). */
export declare function bswap(c: X86Cpu): void;
/** XLAT (D7): AL = [seg:eBX + AL]. */
export declare function xlat(c: X86Cpu): void;
/** CMOVcc Gv,Ev (0F 40–4F): the source is always read (and may fault). */
export declare function cmov(c: X86Cpu): void;
/** SETcc Eb (0F 90–9F). */
export declare function setcc(c: X86Cpu): void;
/** CMC (F5). */
export declare function cmc(c: X86Cpu): void;
/** CLC (F8) / STC (F9). */
export declare function clcStc(c: X86Cpu): void;
/** CLD (FC) / STD (FD). */
export declare function cldStd(c: X86Cpu): void;
/** SAHF (9E): loads SF ZF AF PF CF from AH. */
export declare function sahf(c: X86Cpu): void;
/** LAHF (9F). */
export declare function lahf(c: X86Cpu): void;
/** PUSH r (50–57); PUSH ESP pushes the value before the decrement. */
export declare function pushReg(c: X86Cpu): void;
/** POP r (58–5F). */
export declare function popReg(c: X86Cpu): void;
/** PUSH Iz (68). */
export declare function pushIz(c: X86Cpu): void;
/** PUSH Ib sign-extended (6A). */
export declare function pushIb(c: X86Cpu): void;
/** POP Ev (8F /0): ESP is incremented before the destination address is computed. */
export declare function popEv(c: X86Cpu): void;
/** PUSHA/PUSHAD (60). */
export declare function pusha(c: X86Cpu): void;
/** POPA/POPAD (61): the saved ESP is discarded. */
export declare function popa(c: X86Cpu): void;
/** ENTER Iw,Ib (C8) — SDM Vol. 2 "ENTER". */
export declare function enter(c: X86Cpu): void;
/** LEAVE (C9). */
export declare function leave(c: X86Cpu): void;
/** Sets the new IP after a near branch: truncated to 16 bits with a 16-bit operand size, checked against CS. */
export declare function branchTo(c: X86Cpu, target: number): void;
/** Jcc rel8 (70–7F). */
export declare function jccRel8(c: X86Cpu): void;
/** Jcc rel16/32 (0F 80–8F). */
export declare function jccRelZ(c: X86Cpu): void;
/** JMP rel8 (EB). */
export declare function jmpRel8(c: X86Cpu): void;
/** JMP rel16/32 (E9). */
export declare function jmpRelZ(c: X86Cpu): void;
/** CALL rel16/32 (E8). */
export declare function callRel(c: X86Cpu): void;
/** RET (C3) and RET Iw (C2). */
export declare function retNear(c: X86Cpu): void;
/** LOOPNE/LOOPE/LOOP/JeCXZ (E0–E3): the counter is eCX by address size. */
export declare function loop(c: X86Cpu): void;
/** Group 5 (FF): INC, DEC, CALL Ev, CALLF Mp, JMP Ev, JMPF Mp, PUSH Ev. */
export declare function group5(c: X86Cpu, far: (c: X86Cpu, call: boolean, sel: number, off: number) => void): void;
/** BT/BTS/BTR/BTC Ev,Gv (0F A3 AB B3 BB): the bit offset is signed and may address outside the operand. */
export declare function btEvGv(c: X86Cpu): void;
/** Group 8 (0F BA): BT/BTS/BTR/BTC Ev,Ib. */
export declare function group8(c: X86Cpu): void;
/** BSF/BSR Gv,Ev (0F BC BD): ZF set and the destination unchanged when the source is 0. */
export declare function bsfBsr(c: X86Cpu): void;
/** XADD Eb,Gb / Ev,Gv (0F C0 C1). */
export declare function xadd(c: X86Cpu): void;
/** CMPXCHG Eb,Gb / Ev,Gv (0F B0 B1): the destination is written in either case (SDM). */
export declare function cmpxchg(c: X86Cpu): void;
/** Group 9 (0F C7 /1): CMPXCHG8B Mq. */
export declare function cmpxchg8b(c: X86Cpu): void;
/** BOUND Gv,Ma (62): #BR when the index is outside [lower, upper]. */
export declare function bound(c: X86Cpu): void;
/** MOVS (A4 A5). */
export declare function movs(c: X86Cpu): void;
/** STOS (AA AB). */
export declare function stos(c: X86Cpu): void;
/** LODS (AC AD). */
export declare function lods(c: X86Cpu): void;
/** CMPS (A6 A7) and SCAS (AE AF), with REPE/REPNE termination on ZF. */
export declare function cmpsScas(c: X86Cpu): void;
//# sourceMappingURL=ops-integer.d.ts.map