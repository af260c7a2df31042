import { connect, type Socket } from 'node:net';
import { isPopekError } from '@popek/core';
import { describe, expect, it } from 'vitest';
import { TestReceiver, waitFor } from '../../test/receivers.js';
import { TcpCharBackend } from './tcp-char-backend.js';

async function client(port: number): Promise<{ socket: Socket; data: () => string; closed: () => boolean }> {
  const socket = connect(port, '127.0.0.1');
  const chunks: Buffer[] = [];
  let closed = false;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('close', () => (closed = true));
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, data: () => Buffer.concat(chunks).toString('latin1'), closed: () => closed };
}

describe('TcpCharBackend', () => {
  it('serves one client on 127.0.0.1: its bytes are input, guest output goes to it, earlier output is kept for it', async () => {
    const backend = await TcpCharBackend.listen({ port: 0 });
    try {
      const { port, address } = await backend.listening;
      expect(address).toBe('127.0.0.1');
      const r = new TestReceiver(3);
      backend.connect(r);
      backend.write(new TextEncoder().encode('early boot '));
      const a = await client(port);
      await waitFor(() => a.data() === 'early boot ', 'the kept output');
      await waitFor(() => backend.connected, 'the client to be registered');
      a.socket.write('hello');
      await waitFor(() => r.bytes.length === 3, 'the first input');
      expect(r.text).toBe('hel');
      backend.ready();
      expect(r.text).toBe('hello');
      backend.write(new TextEncoder().encode('world'));
      await waitFor(() => a.data() === 'early boot world', 'guest output');

      const b = await client(port);
      await waitFor(() => b.closed(), 'the second client to be turned away');
      expect(b.data()).toContain('Another client');
      expect(a.closed()).toBe(false);

      a.socket.end();
      await waitFor(() => !backend.connected, 'the disconnect');
      backend.write(new TextEncoder().encode('later'));
      const c = await client(port);
      await waitFor(() => c.data() === 'later', 'output kept for the next client');
      c.socket.destroy();
    } finally {
      await backend.close();
    }
    const { port } = await backend.listening;
    await expect(client(port)).rejects.toThrow();
  });

  it('pauses a client that sends more than the guest takes, and loses nothing', async () => {
    const backend = await TcpCharBackend.listen({ port: 0, maxPendingInput: 4096 });
    try {
      const { port } = await backend.listening;
      const r = new TestReceiver(0);
      backend.connect(r);
      const a = await client(port);
      const payload = Buffer.alloc(200 * 1024);
      for (let i = 0; i < payload.length; i++) payload[i] = (i * 31) & 0xff;
      a.socket.write(payload);
      await waitFor(() => backend.pendingInput >= 4096, 'input to back up');
      await new Promise((resolve) => setTimeout(resolve, 50));
      // Reading stopped at the bound (plus at most one socket read).
      expect(backend.pendingInput).toBeLessThanOrEqual(4096 + 64 * 1024);
      r.limit = 1000;
      await waitFor(() => {
        backend.ready();
        return r.bytes.length === payload.length;
      }, 'all input');
      expect(Buffer.from(r.bytes).equals(payload)).toBe(true);
      a.socket.destroy();
    } finally {
      await backend.close();
    }
  });

  it('keeps only the most recent output while nobody is connected', async () => {
    const backend = await TcpCharBackend.listen({ port: 0, keepOutput: 4 });
    try {
      backend.write(new TextEncoder().encode('abcdef'));
      backend.write(new TextEncoder().encode('gh'));
      const a = await client((await backend.listening).port);
      await waitFor(() => a.data() === 'efgh', 'the kept tail');
      a.socket.destroy();
    } finally {
      await backend.close();
    }
  });

  it('fails with serial-tcp-unavailable when the port is taken', async () => {
    const first = await TcpCharBackend.listen({ port: 0 });
    try {
      const { port } = await first.listening;
      let error: unknown;
      try {
        await TcpCharBackend.listen({ port });
      } catch (e) {
        error = e;
      }
      expect(isPopekError(error) && error.code).toBe('serial-tcp-unavailable');
      expect((error as Error).message).toContain(`127.0.0.1:${port}`);
    } finally {
      await first.close();
    }
  });
});
