/*
 * Multiboot kernels assembled at test time with nasm (and linked with GNU ld for the ELF one), so
 * the loader meets images made by real tools rather than only by our own fixtures. Skipped when
 * the tools are absent.
 */
import { FlatGuestMemory } from '@popek/core';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cstring, FakeBootCpu, pcLayout, u32 } from '../test/fixtures.js';
import { MultibootLoader } from './multiboot-loader.js';

function has(tool: string, args: string[]): boolean {
  try {
    execFileSync(tool, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const hasNasm = has('nasm', ['-v']);
const hasLd = hasNasm && has('ld', ['-V']) && has('nm', ['--version']);

const AOUT_KERNEL = `
bits 32
org 0x200000
MB_FLAGS equ 0x00010003            ; page-aligned modules, memory info, a.out kludge
header:
  dd 0x1BADB002
  dd MB_FLAGS
  dd -(0x1BADB002 + MB_FLAGS)
  dd header                        ; header_addr
  dd header                        ; load_addr: the file's first byte
  dd load_end                      ; load_end_addr
  dd bss_end                       ; bss_end_addr
  dd start                         ; entry_addr
start:
  mov esp, stack_top
  cmp eax, 0x2BADB002
  jne hang
  mov [boot_info], ebx
hang:
  hlt
  jmp hang
  align 4
load_end:
boot_info equ load_end
stack_top equ load_end + 0x1000
bss_end equ load_end + 0x1000
`;

const ELF_KERNEL = `
bits 32
MB_FLAGS equ 0x00000003            ; page-aligned modules, memory info
section .multiboot
align 4
  dd 0x1BADB002
  dd MB_FLAGS
  dd -(0x1BADB002 + MB_FLAGS)
section .text
global start
start:
  mov esp, stack_top
  hlt
section .bss
global scratch
scratch:
  resb 0x3000
stack_top:
`;

describe.skipIf(!hasNasm)('Multiboot kernels built with nasm', () => {
  const dir = mkdtempSync(join(tmpdir(), 'popek-mb-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads an a.out-kludge flat binary and passes the boot information', () => {
    writeFileSync(join(dir, 'aout.asm'), AOUT_KERNEL);
    execFileSync('nasm', ['-f', 'bin', '-o', join(dir, 'aout.bin'), join(dir, 'aout.asm')]);
    const kernel = new Uint8Array(readFileSync(join(dir, 'aout.bin')));
    const memory = new FlatGuestMemory(16 * 0x10_0000);
    memory.bytes.fill(0xcc);
    const loader = new MultibootLoader(memory, pcLayout(16 * 0x10_0000));
    const plan = loader.plan({ kind: 'multiboot', kernel, cmdline: 'aout.bin debug', modules: [{ data: new Uint8Array(10), cmdline: 'm0' }] });
    const cpu = new FakeBootCpu();
    loader.load(plan, cpu);
    expect(plan.image.format).toBe('aout-kludge');
    expect(cpu.registers['eip']).toBe(0x20_0020); // start follows the 32-byte header
    expect(Buffer.compare(memory.bytes.subarray(0x20_0000, 0x20_0000 + kernel.length), kernel)).toBe(0);
    const bssStart = 0x20_0000 + kernel.length;
    expect(memory.bytes.subarray(bssStart, bssStart + 0x1000).every((b) => b === 0)).toBe(true);
    expect(plan.modules[0]!.address).toBeGreaterThanOrEqual(bssStart + 0x1000);
    expect(cstring(memory.bytes, u32(memory.bytes, cpu.registers['ebx']! + 16))).toBe('aout.bin debug');
  });

  it.skipIf(!hasLd)('loads an ELF kernel linked by ld, zeroing its .bss and entering at its start symbol', () => {
    writeFileSync(join(dir, 'elf.asm'), ELF_KERNEL);
    execFileSync('nasm', ['-f', 'elf32', '-o', join(dir, 'elf.o'), join(dir, 'elf.asm')]);
    writeFileSync(join(dir, 'link.ld'), 'ENTRY(start)\nSECTIONS { . = 0x100000; .text : { *(.multiboot) *(.text) } .bss : { *(.bss) } }\n');
    execFileSync('ld', ['-m', 'elf_i386', '-T', join(dir, 'link.ld'), '-o', join(dir, 'kernel.elf'), join(dir, 'elf.o')]);
    const symbols = new Map(
      execFileSync('nm', [join(dir, 'kernel.elf')], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((line) => line.split(/\s+/))
        .map(([addr, , name]) => [name!, parseInt(addr!, 16)] as const),
    );
    const kernel = new Uint8Array(readFileSync(join(dir, 'kernel.elf')));
    const memory = new FlatGuestMemory(16 * 0x10_0000);
    memory.bytes.fill(0xcc);
    const loader = new MultibootLoader(memory, pcLayout(16 * 0x10_0000));
    const plan = loader.plan({ kind: 'multiboot', kernel, cmdline: '' });
    const cpu = new FakeBootCpu();
    loader.load(plan, cpu);
    expect(plan.image.format).toBe('elf');
    expect(cpu.registers['eip']).toBe(symbols.get('start'));
    expect(memory.bytes[symbols.get('start')!]).toBe(0xbc); // mov esp, imm32
    expect(u32(memory.bytes, 0x10_0000)).toBe(0x1bad_b002); // .multiboot first
    const scratch = symbols.get('scratch')!;
    expect(memory.bytes.subarray(scratch, scratch + 0x3000).every((b) => b === 0)).toBe(true);
  });
});
