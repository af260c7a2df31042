import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_BUSYBOX_APPLETS,
  buildBusyboxInitramfs,
  initramfsInitScript,
  initramfsInittab,
} from './busybox-initramfs.js';
import { CpioFileType, cpioFileType, parseCpioNewc, type CpioEntry } from './cpio-newc.js';
import { hasCommand } from './test-fixtures.js';

const fakeBusybox = new Uint8Array([0x7f, 0x45, 0x4c, 0x46, 1, 1, 1, 0, 9, 9, 9]);
const text = (d: Uint8Array): string => new TextDecoder().decode(d);

function byPath(entries: CpioEntry[]): Map<string, CpioEntry> {
  return new Map(entries.map((e) => [e.path, e]));
}

describe('buildBusyboxInitramfs', () => {
  const entries = parseCpioNewc(buildBusyboxInitramfs(fakeBusybox, { banner: "Popek's test banner" }));
  const map = byPath(entries);

  it('contains busybox, an executable /init and the console device', () => {
    expect(map.get('bin/busybox')).toMatchObject({ mode: CpioFileType.file | 0o755, data: fakeBusybox });
    const init = map.get('init')!;
    expect(init.mode).toBe(CpioFileType.file | 0o755);
    const script = text(init.data);
    expect(script.startsWith('#!/bin/sh\n')).toBe(true);
    expect(script).toContain('mount -t proc proc /proc');
    expect(script).toContain('mount -t sysfs sysfs /sys');
    expect(script).toContain('mount -t devtmpfs devtmpfs /dev');
    expect(script).toContain(`echo 'Popek'\\''s test banner'`);
    expect(script.trimEnd().endsWith('exec /sbin/init')).toBe(true);
    expect(map.get('dev/console')).toMatchObject({ mode: CpioFileType.characterDevice | 0o600, rdevMajor: 5, rdevMinor: 1 });
    expect(map.get('dev/null')).toMatchObject({ mode: CpioFileType.characterDevice | 0o666, rdevMajor: 1, rdevMinor: 3 });
  });

  it('links every applet to busybox, with init reachable as /sbin/init', () => {
    for (const applet of ['sh', 'ls', 'cat', 'echo', 'mount', 'uname', 'poweroff', 'reboot', 'halt', 'sha256sum', 'md5sum', 'dd', 'head', 'tail', 'grep', 'sed', 'awk', 'ps', 'dmesg', 'sleep', 'mkdir', 'rm', 'cp', 'mv', 'wc', 'seq', 'true', 'false', 'sync', 'test', '[', 'init', 'cttyhack']) {
      const link = map.get(`bin/${applet}`);
      expect(link, applet).toBeDefined();
      expect(cpioFileType(link!.mode)).toBe(CpioFileType.symlink);
      expect(text(link!.data)).toBe('busybox');
    }
    expect(text(map.get('sbin')!.data)).toBe('bin');
    expect(new Set(DEFAULT_BUSYBOX_APPLETS).size).toBe(DEFAULT_BUSYBOX_APPLETS.length);
  });

  it('has the standard directories, and every parent before its children', () => {
    for (const d of ['proc', 'sys', 'tmp', 'root', 'dev', 'etc', 'bin']) {
      expect(cpioFileType(map.get(d)!.mode), d).toBe(CpioFileType.directory);
    }
    expect(map.get('tmp')!.mode & 0o7777).toBe(0o1777);
    const seen = new Set<string>();
    for (const e of entries) {
      const parent = e.path.includes('/') ? e.path.slice(0, e.path.lastIndexOf('/')) : undefined;
      if (parent !== undefined) expect(seen.has(parent), `${parent} before ${e.path}`).toBe(true);
      seen.add(e.path);
    }
  });

  it('runs the shell from busybox init so that poweroff works', () => {
    const inittab = text(map.get('etc/inittab')!.data);
    expect(inittab).toBe(initramfsInittab());
    expect(inittab).toMatch(/^::respawn:\/bin\/cttyhack \/bin\/sh -l$/m);
    expect(inittab).toMatch(/^::shutdown:/m);
    expect(initramfsInitScript('x')).toContain('exec /sbin/init');
  });

  it('is reproducible', () => {
    expect(buildBusyboxInitramfs(fakeBusybox)).toEqual(buildBusyboxInitramfs(fakeBusybox));
  });

  it.skipIf(!hasCommand('sh'))('has an /init that is valid shell syntax', () => {
    execFileSync('sh', ['-n'], { input: text(map.get('init')!.data) });
  });
});
