/*
 * End to end, with QEMU standing in for Popek's CPU and chipset: the Linux loader plans and writes
 * the real Debian kernel, its initramfs, the zero page, the GDT and the ACPI tables into a guest
 * memory image; QEMU (`-machine pc`, TCG) gets that image through `-device loader` blobs, and a
 * 20-instruction stand-in "BIOS" does what `BootProcessorState` would do (flat protected mode with
 * our GDT, ESI = zero page, jump to code32_start). It also enables the PIIX4 PM I/O block at 0x600,
 * which SeaBIOS would otherwise do, so that QEMU's ACPI hardware sits where our FADT says.
 *
 * Then the kernel must boot to the initramfs shell, list our ACPI tables and e820 map, and power
 * the machine off through `\_S5` when told `poweroff`. Needs qemu-system-i386, nasm and the
 * cached Debian guest (`popek guest fetch`); skipped otherwise. Slow (a TCG boot).
 *
 * QEMU's emulated UART now and then drops a byte of the kernel log under TCG (seen as `BIOS-e0:`
 * for `BIOS-e820:`, about one run in five), so each test is retried up to twice: the firmware's
 * part is deterministic, the transport is not.
 */
import { FlatGuestMemory } from '@popek/core';
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FakeBootCpu, pcLayout } from '../test/fixtures.js';
import { ACPI_TABLES_BASE, placeAcpiTables } from './acpi-tables.js';
import { LinuxBootLoader, LinuxLowMemory } from './linux-boot-loader.js';

function tool(name: string, args: string[]): boolean {
  try {
    execFileSync(name, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const guest = join(process.env['POPEK_CACHE_DIR']?.trim() || join(process.env['XDG_CACHE_HOME']?.trim() || join(homedir(), '.cache'), 'popek'), 'guests', 'debian-bookworm-i386');
const ready = existsSync(join(guest, 'vmlinuz')) && existsSync(join(guest, 'initrd.cpio.gz')) && tool('qemu-system-i386', ['--version']) && tool('nasm', ['-v']);

/** The stand-in BIOS: 128 KiB mapped at 0xE0000; the ACPI tables are patched in at offset 0. */
const STUB_BIOS = `
bits 16
org 0xE0000
times 0x1E000 db 0
start16:
  cli
  in al, 0x92                      ; fast A20 on
  or al, 2
  and al, 0xFE
  out 0x92, al
  mov dx, 0xCF8                    ; PIIX4 PM (00:01.3) PMBA (0x40) = 0x600 | 1
  mov eax, 0x80000B40
  out dx, eax
  mov dx, 0xCFC
  mov eax, 0x601
  out dx, eax
  mov dx, 0xCF8                    ; PMREGMISC (0x80) bit 0: PM I/O space enable
  mov eax, 0x80000B80
  out dx, eax
  mov dx, 0xCFC
  mov al, 1
  out dx, al
  o32 lgdt [cs:gdtr - 0xF0000]
  mov eax, cr0
  or eax, 1
  mov cr0, eax
  jmp dword 0x10:pm32
bits 32
pm32:
  mov ax, 0x18
  mov ds, ax
  mov es, ax
  mov ss, ax
  mov fs, ax
  mov gs, ax
  mov esp, STACK
  mov esi, ZERO_PAGE
  xor ebx, ebx
  xor edi, edi
  xor ebp, ebp
  mov ecx, ENTRY
  xor eax, eax
  jmp ecx
gdtr:
  dw 31
  dd GDT
times 0x1FFF0 - ($ - $$) db 0
bits 16                            ; the reset vector runs in real mode
  jmp 0xF000:(start16 - 0xF0000)
times 0x20000 - ($ - $$) db 0
`;

interface Run {
  output: string;
  code: number | null;
}

/**
 * Runs QEMU with its serial port on a pair of FIFOs, types `command` once the initramfs shell
 * prompts, and waits for QEMU to exit.
 *
 * Not a stdio pipe or a Unix socket: QEMU's UART writes one byte at a time and, when its
 * character device cannot take the byte (EAGAIN) a few times running, drops it. A Unix socket
 * charges every one-byte write a whole buffer's worth of its send budget, so a reader held up for
 * a moment on a loaded host (CI runs test packages in parallel) loses kernel messages; a FIFO
 * buffers 64 KiB of bytes, more than the whole boot log.
 */
function runQemu(args: string[], fifoBase: string, command: string, timeoutMs: number): Promise<Run> {
  execFileSync('mkfifo', [`${fifoBase}.in`, `${fifoBase}.out`]);
  return new Promise((resolve) => {
    const qemu = spawn('qemu-system-i386', [...args, '-chardev', `pipe,id=ser0,path=${fifoBase}`, '-serial', 'chardev:ser0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    let diagnostics = '';
    let typed = false;
    // QEMU opens both FIFOs read-write, so opening our ends does not wait for it.
    const serialOut = createReadStream(`${fifoBase}.out`);
    const serialIn = createWriteStream(`${fifoBase}.in`);
    const timer = setTimeout(() => qemu.kill('SIGKILL'), timeoutMs);
    qemu.stdout.on('data', (chunk: Buffer) => (diagnostics += chunk.toString('latin1')));
    qemu.stderr.on('data', (chunk: Buffer) => (diagnostics += chunk.toString('latin1')));
    serialOut.on('data', (chunk: Buffer | string) => {
      output += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
      // wait for the shell's prompt, then type (ash first queries the cursor position)
      if (!typed && /Type 'poweroff'[\s\S]*# /.test(output)) {
        typed = true;
        setTimeout(() => serialIn.write(`${command}\n`), 1000);
      }
    });
    qemu.on('exit', (code) => {
      clearTimeout(timer);
      // Whatever QEMU wrote before it exited is still in the FIFO: read it, then close.
      setTimeout(() => {
        serialOut.destroy();
        serialIn.destroy();
        resolve({ output: output + diagnostics, code });
      }, 200);
    });
  });
}

describe.skipIf(!ready)('booting the Debian kernel with QEMU as the CPU', () => {
  const dir = mkdtempSync(join(tmpdir(), 'popek-e2e-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const RAM = 128 * 0x10_0000;

  function prepare(): string[] {
    const memory = new FlatGuestMemory(RAM);
    const loader = new LinuxBootLoader(memory, pcLayout(RAM));
    const kernel = new Uint8Array(readFileSync(join(guest, 'vmlinuz')));
    const initrd = new Uint8Array(readFileSync(join(guest, 'initrd.cpio.gz')));
    const acpi = placeAcpiTables(memory);
    expect(acpi.image.base).toBe(ACPI_TABLES_BASE);
    const plan = loader.plan({ kind: 'linux', kernel, initrd, cmdline: 'console=ttyS0 panic=-1 loglevel=7' }, acpi);
    const cpu = new FakeBootCpu();
    loader.load(plan, cpu);

    writeFileSync(join(dir, 'bios.asm'), STUB_BIOS);
    const defines = [`-DENTRY=${cpu.registers['eip']}`, `-DZERO_PAGE=${cpu.registers['esi']}`, `-DSTACK=${cpu.registers['esp']}`, `-DGDT=${cpu.gdtr!.base}`];
    execFileSync('nasm', ['-f', 'bin', ...defines, '-o', join(dir, 'bios.bin'), join(dir, 'bios.asm')]);
    const bios = readFileSync(join(dir, 'bios.bin'));
    bios.set(acpi.image.bytes, acpi.image.base - 0xe_0000);
    writeFileSync(join(dir, 'bios.bin'), bios);
    writeFileSync(join(dir, 'low.bin'), memory.bytes.subarray(0, LinuxLowMemory.CMDLINE + plan.cmdline.length));
    writeFileSync(join(dir, 'kernel.bin'), plan.image.payload);
    writeFileSync(join(dir, 'initrd.bin'), initrd);
    return [
      '-machine', 'pc', '-accel', 'tcg', '-cpu', 'qemu32', '-m', '128M', '-no-reboot', '-display', 'none', '-monitor', 'none',
      '-net', 'none', '-bios', join(dir, 'bios.bin'),
      '-device', `loader,file=${join(dir, 'low.bin')},addr=0,force-raw=on`,
      '-device', `loader,file=${join(dir, 'kernel.bin')},addr=${plan.loadAddress},force-raw=on`,
      '-device', `loader,file=${join(dir, 'initrd.bin')},addr=${plan.initrd!.address},force-raw=on`,
    ];
  }

  it('boots to the initramfs shell with our e820 map and ACPI tables, and powers off through \\_S5', { timeout: 300_000, retry: 2 }, async () => {
    const run = await runQemu(prepare(), join(dir, 'serial-1'), 'poweroff', 240_000);
    const log = run.output;
    expect(log).toMatch(/BIOS-e820: \[mem 0x0000000000000000-0x000000000009ffff\] usable/);
    expect(log).toMatch(/BIOS-e820: \[mem 0x00000000000a0000-0x00000000000fffff\] reserved/);
    expect(log).toMatch(/BIOS-e820: \[mem 0x0000000000100000-0x0000000007ffffff\] usable/);
    expect(log).toMatch(/ACPI: RSDP 0x00000000000E0000 000024 \(v02 POPEK \)/);
    expect(log).toMatch(/ACPI: FACP 0x00000000000E00E0 000114 \(v06 POPEK  POPEKVM/);
    expect(log).toMatch(/ACPI: DSDT 0x00000000000E0200 000031 \(v02 POPEK  POPEKVM/);
    expect(log).toMatch(/ACPI: FACS 0x00000000000E0040 000040/);
    expect(log).toMatch(/RAMDISK: \[mem 0x0*7ef6000-0x0*7ffffff\]/);
    expect(log).toMatch(/ACPI: PM-Timer IO Port: 0x608/);
    expect(log).toContain('Kernel command line: console=ttyS0 panic=-1 loglevel=7');
    expect(log).toMatch(/Unpacking initramfs|Freeing initrd memory/);
    expect(log).toContain("Type 'poweroff'");
    expect(log).toContain('ACPI: PM: Preparing to enter system sleep state S5');
    expect(log).toContain('reboot: Power down');
    expect(run.code).toBe(0);
  });

  it('resets the machine when told reboot (Linux tries the FADT reset register first)', { timeout: 300_000, retry: 2 }, async () => {
    const run = await runQemu(prepare(), join(dir, 'serial-2'), 'reboot', 240_000);
    expect(run.output).toContain('reboot: Restarting system');
    expect(run.code).toBe(0); // -no-reboot: QEMU exits on the reset
  });
});
