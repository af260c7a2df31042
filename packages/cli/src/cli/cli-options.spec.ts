import { describe, expect, it } from 'vitest';
import { parseCommandLine } from './cli-options.js';

describe('popek command line', () => {
  it('parses run with every option', () => {
    const c = parseCommandLine(['run', '--kernel', 'k', '--initrd', 'i', '--append', 'console=ttyS0', '--memory', '128', '--profile', 'microvm', '--cpu-mode', 'interpreter', '--serial', 'tcp:127.0.0.1:4555', '--serial-timing', 'realistic', '--clock', 'deterministic', '--no-reboot', '--no-rng-seed']);
    expect(c).toEqual({
      name: 'run',
      options: { kernel: 'k', initrd: 'i', append: 'console=ttyS0', memoryMiB: 128, profile: 'microvm', cpuMode: 'interpreter', mmu: 'direct', serial: 'tcp:127.0.0.1:4555', serialTiming: 'realistic', clock: 'deterministic', snapshotFile: 'popek.snapshot', noReboot: true, noRngSeed: true },
    });
  });

  it('defaults to the pc profile, 256 MiB, binary translation, stdio serial with fast timing and realtime clock', () => {
    const c = parseCommandLine(['run']);
    expect(c.name === 'run' && c.options).toMatchObject({ memoryMiB: 256, profile: 'pc', cpuMode: 'bt', serial: 'stdio', serialTiming: 'fast', clock: 'realtime' });
  });

  it.each(['fast', 'realistic'] as const)('takes --serial-timing %s', (timing) => {
    const c = parseCommandLine(['run', '--serial-timing', timing]);
    expect(c.name === 'run' && c.options.serialTiming).toBe(timing);
  });

  it.each([
    [['frobnicate'], "'frobnicate' is not a popek command."],
    [['run', '--colour'], '--colour is not an option of this command.'],
    [['run', '--kernel'], '--kernel needs a value.'],
    [['run', '--memory', 'lots'], "--memory takes a whole number of MiB; 'lots' is not one."],
    [['run', '--memory', '8'], '--memory must be between 16 and 2000 MiB; 8 is not.'],
    [['run', '--initrd', 'x'], '--initrd needs --kernel'],
    [['run', '--serial', 'usb'], "--serial takes stdio, none, file:PATH or tcp:HOST:PORT; 'usb' is none of them."],
    [['run', '--clock', 'fast'], "--clock must be one of realtime, deterministic; 'fast' is not."],
    [['run', '--serial-timing', 'slow'], "--serial-timing must be one of fast, realistic; 'slow' is not."],
    [['run', '--serial-timing'], '--serial-timing needs a value.'],
    [['run', 'extra'], "unexpected argument 'extra'."],
    [['guest', 'eat'], "'popek guest' takes 'fetch' or 'path', not 'eat'."],
  ])('rejects %j with one clear message', (argv, message) => {
    expect(() => parseCommandLine(argv)).toThrow(message);
    try {
      parseCommandLine(argv);
    } catch (e) {
      expect((e as Error).name).toBe('PopekError');
      expect((e as Error).message).toMatch(/Run 'popek help' for the options\.$/);
    }
  });

  it('parses guest fetch and help', () => {
    expect(parseCommandLine(['guest', 'fetch', '--mirror', 'http://m/debian'])).toEqual({ name: 'guest-fetch', options: { mirror: 'http://m/debian' } });
    expect(parseCommandLine([])).toEqual({ name: 'help' });
    expect(parseCommandLine(['--version'])).toEqual({ name: 'version' });
  });
});
