import { describe, expect, it } from 'vitest';
import { ScriptedConsole } from './scripted-console.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('scripted console', () => {
  it('types each step once its text has appeared, within the flow-control window', () => {
    const typed: number[] = [];
    let room = 4;
    const console = new ScriptedConsole([{ expect: 'login: ', send: 'root\n' }, { expect: /# $/, send: 'ls\n' }, { expect: 'bye' }]);
    console.connect({ canAccept: () => room, accept: (b) => { typed.push(...b); room -= b.length; } });
    console.write(enc('welcome\nlog'));
    expect(typed).toEqual([]);
    console.write(enc('in: '));
    expect(new TextDecoder().decode(Uint8Array.from(typed))).toBe('root');
    room = 16;
    console.ready();
    expect(new TextDecoder().decode(Uint8Array.from(typed))).toBe('root\n');
    console.write(enc('root\n~ # '));
    expect(new TextDecoder().decode(Uint8Array.from(typed))).toBe('root\nls\n');
    expect(console.finished).toBe(false);
    console.write(enc('ls\nbye\n'));
    expect(console.finished).toBe(true);
    expect(console.text).toBe('welcome\nlogin: root\n~ # ls\nbye\n');
  });

  it('does not match text that appeared before the previous step', () => {
    const c = new ScriptedConsole([{ expect: '$ ', send: 'a\n' }, { expect: '$ ', send: 'b\n' }]);
    const typed: number[] = [];
    c.connect({ canAccept: () => 100, accept: (b) => typed.push(...b) });
    c.write(enc('$ '));
    expect(c.step).toBe(1);
    c.write(enc('a\n'));
    expect(c.step).toBe(1);
    c.write(enc('$ '));
    expect(c.finished).toBe(true);
  });
});
