import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultGuestCacheDir } from '../guest/guest-builder.js';

/*
 * The `popek` command as a user meets it: bad input of every kind gives one clear line and a
 * non-zero exit status, never a stack trace. Runs the built command (`dist/bin/popek.js`).
 */

const bin = new URL('../../dist/bin/popek.js', import.meta.url).pathname;

function popek(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** A syntactically valid bzImage header with only a `hlt` of code: enough to pass validation. */
function tinyKernel(): Uint8Array {
  const image = new Uint8Array(5 * 512 + 4096);
  const v = new DataView(image.buffer);
  image[0x1f1] = 4;
  v.setUint16(0x1fe, 0xaa55, true);
  v.setUint32(0x202, 0x5372_6448, true);
  v.setUint16(0x206, 0x020f, true);
  image[0x211] = 0x01;
  v.setUint32(0x214, 0x10_0000, true);
  v.setUint32(0x22c, 0x7fff_ffff, true);
  v.setUint32(0x230, 0x20_0000, true);
  image[0x234] = 1;
  v.setUint32(0x238, 2048, true);
  v.setUint32(0x1f4, 4096 / 16, true);
  v.setUint32(0x260, 0x10_0000, true);
  image[5 * 512] = 0xf4;
  return image;
}

describe('popek run with bad input', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'popek-cli-'));
  const kernel = join(dir, 'vmlinuz');
  await writeFile(kernel, tinyKernel());
  const script = join(dir, 'not-a-kernel.sh');
  await writeFile(script, '#!/bin/sh\necho hello\n');
  const truncated = join(dir, 'truncated');
  await writeFile(truncated, tinyKernel().subarray(0, 3000));
  const bigInitrd = join(dir, 'big.initrd');
  await writeFile(bigInitrd, new Uint8Array(40 << 20));

  it.each([
    ['a missing kernel', ['run', '--kernel', join(dir, 'nope')], /^popek: The kernel file '.*nope' does not exist\.\n$/],
    ['a file that is not a kernel', ['run', '--kernel', script], /^popek: The kernel '.*not-a-kernel\.sh' is not a Linux kernel image: .+\n$/],
    ['a truncated kernel', ['run', '--kernel', truncated], /^popek: The kernel '.*truncated' is truncated: .+\n$/],
    ['an initrd larger than memory', ['run', '--kernel', kernel, '--initrd', bigInitrd, '--memory', '32'], /^popek: .*initrd.*\n$/],
    ['too little memory', ['run', '--kernel', kernel, '--memory', '8'], /^popek: --memory must be between 16 and 2000 MiB; 8 is not\.\nRun 'popek help' for the options\.\n$/],
    ['an unknown profile', ['run', '--kernel', kernel, '--profile', 'mainframe'], /^popek: There is no machine profile 'mainframe'\. The profiles are: pc, microvm\.\n$/],
    ['an unknown option', ['run', '--turbo'], /^popek: --turbo is not an option of this command\.\nRun 'popek help' for the options\.\n$/],
    ['a snapshot that is not one', ['run', '--kernel', kernel, '--restore', script], /^popek: This is not a usable Popek snapshot: .+\n$/],
  ])('%s: one clear message and a non-zero status', async (_name, args, message) => {
    const { code, stderr } = await popek(args);
    expect(code).not.toBe(0);
    expect(stderr).toMatch(message);
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('prints the usage for help', async () => {
    const { code, stdout } = await popek(['help']);
    expect(code).toBe(0);
    expect(stdout).toContain('popek run [options]');
  });

  it('prints where the default guest is cached', async () => {
    const { stdout } = await popek(['guest', 'path']);
    expect(stdout.trim()).toBe(defaultGuestCacheDir());

  });
});
