import { isPopekError } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { parseSerialSpec } from './serial-spec.js';

describe('parseSerialSpec', () => {
  it.each([
    ['none', { kind: 'none' }],
    ['stdio', { kind: 'stdio' }],
    ['file:serial.log', { kind: 'file', path: 'serial.log' }],
    ['file:/tmp/a:b.log', { kind: 'file', path: '/tmp/a:b.log' }],
    ['tcp:4555', { kind: 'tcp', host: '127.0.0.1', port: 4555 }],
    ['tcp:localhost:23', { kind: 'tcp', host: 'localhost', port: 23 }],
    ['tcp:0.0.0.0:65535', { kind: 'tcp', host: '0.0.0.0', port: 65535 }],
    ['tcp:[::1]:4555', { kind: 'tcp', host: '::1', port: 4555 }],
  ])('reads %s', (text, spec) => {
    expect(parseSerialSpec(text)).toEqual(spec);
  });

  it.each(['', 'STDIO', 'pty', 'file:', 'tcp:', 'tcp:0', 'tcp:65536', 'tcp:host:', 'tcp:ho st:1', 'tcp:[::1', 'tcp:[zz]:1', 'tcp:1.2.3.4:-1', 'tcp:99999999'])(
    "rejects '%s' with a serial-spec-invalid error that lists the accepted forms",
    (text) => {
      let error: unknown;
      try {
        parseSerialSpec(text);
      } catch (e) {
        error = e;
      }
      expect(isPopekError(error) && error.code).toBe('serial-spec-invalid');
      expect((error as Error).message).toContain('tcp:HOST:PORT');
      expect((error as Error).message).toContain(`'${text}'`);
    },
  );
});
