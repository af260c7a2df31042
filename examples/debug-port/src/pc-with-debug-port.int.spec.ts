import { BufferCharBackend, ContainerModule, charBackendId } from '@popek/core';
import { createMachine, pcProfile } from '@popek/machine';
import { describe, expect, it } from 'vitest';
import { DEBUG_PORT_ID } from './debug-port.js';
import { withDebugPort } from './profile.js';

/**
 * A tiny Multiboot kernel, assembled by hand: the header with the a.out kludge (load it at
 * 1 MiB, enter right after the header), then `mov al, c; out 0xE9, al` for each character of
 * `text`, then `cli; hlt`.
 */
function debugPortKernel(text: string): Uint8Array {
  const base = 0x10_0000;
  const header = new Uint32Array([0x1bad_b002, 0x0001_0000, 0, base, base, 0, 0, base + 32]);
  header[2] = (-(header[0]! + header[1]!)) >>> 0;
  const code: number[] = [];
  for (const c of new TextEncoder().encode(text)) code.push(0xb0, c, 0xe6, 0xe9);
  code.push(0xfa, 0xf4);
  const image = new Uint8Array(32 + code.length);
  image.set(new Uint8Array(header.buffer), 0);
  image.set(code, 32);
  return image;
}

describe('the pc profile extended with the debug port', () => {
  it('runs real x86 code on the pc machine that prints through port 0xE9', () => {
    const console = new BufferCharBackend();
    const machine = createMachine({
      profile: withDebugPort(pcProfile),
      memoryMiB: 32,
      boot: { kind: 'multiboot', kernel: debugPortKernel('hello from a Multiboot kernel\n'), cmdline: '' },
      clock: 'deterministic',
      modules: [new ContainerModule(({ bind }) => void bind(charBackendId(DEBUG_PORT_ID)).toConstantValue(console))],
    });
    expect(machine.profile.id).toBe('pc+debugcon');
    machine.runInstructions(1_000_000);
    machine.dispose();
    expect(console.text).toBe('hello from a Multiboot kernel\n');
  });
});
