import { PopekError } from '@popek/core';

/** Where a serial port's host side goes, as parsed from a command-line spec. */
export type SerialSpec = NoneSerialSpec | StdioSerialSpec | FileSerialSpec | TcpSerialSpec;

/** Nothing: output discarded, no input. */
export interface NoneSerialSpec {
  /** The kind of backend. */
  readonly kind: 'none';
}

/** The terminal Popek runs in. */
export interface StdioSerialSpec {
  /** The kind of backend. */
  readonly kind: 'stdio';
}

/** Output appended to a file; no input. */
export interface FileSerialSpec {
  /** The kind of backend. */
  readonly kind: 'file';
  /** The file's path. */
  readonly path: string;
}

/** A TCP listener for one client at a time. */
export interface TcpSerialSpec {
  /** The kind of backend. */
  readonly kind: 'tcp';
  /** The address to listen on (an IPv6 address without brackets). */
  readonly host: string;
  /** The TCP port, 1–65535. */
  readonly port: number;
}

/** The host a `tcp:PORT` spec listens on: loopback only. */
export const DEFAULT_TCP_HOST = '127.0.0.1';

const USAGE = "Use 'stdio', 'file:PATH', 'tcp:PORT', 'tcp:HOST:PORT' (an IPv6 host in brackets) or 'none'.";

/**
 * Parses a serial backend spec: `stdio`, `file:PATH`, `tcp:PORT`, `tcp:HOST:PORT`,
 * `tcp:[IPV6]:PORT` or `none`.
 *
 * @throws `PopekError` (`serial-spec-invalid`) saying what is wrong and what is accepted
 */
export function parseSerialSpec(text: string): SerialSpec {
  const fail = (why: string): never => {
    throw new PopekError('serial-spec-invalid', `The serial backend '${text}' ${why}. ${USAGE}`);
  };
  if (typeof text !== 'string') return fail('is not text');
  if (text === 'none') return { kind: 'none' };
  if (text === 'stdio') return { kind: 'stdio' };
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? '' : text.slice(colon + 1);
  if (kind === 'file') {
    if (rest === '') fail('names no file');
    if (rest.includes('\0')) fail('names a file with a NUL character');
    return { kind: 'file', path: rest };
  }
  if (kind === 'tcp') {
    let host = DEFAULT_TCP_HOST;
    let portText = rest;
    if (rest.startsWith('[')) {
      const end = rest.indexOf(']');
      if (end < 0 || rest[end + 1] !== ':') fail('has an IPv6 host without a closing bracket and a port');
      host = rest.slice(1, end);
      portText = rest.slice(end + 2);
      if (!/^[0-9A-Fa-f:.]+$/.test(host) || !host.includes(':')) fail(`has '${host}', which is not an IPv6 address`);
    } else if (rest.includes(':')) {
      const last = rest.lastIndexOf(':');
      host = rest.slice(0, last);
      portText = rest.slice(last + 1);
      if (!/^[A-Za-z0-9.-]+$/.test(host)) fail(`has '${host}', which is not a host name or IPv4 address`);
    }
    if (!/^[0-9]{1,5}$/.test(portText)) fail(portText === '' ? 'names no port' : `has port '${portText}', which is not a number`);
    const port = Number(portText);
    if (port < 1 || port > 65535) fail(`has port ${port}, outside 1 to 65535`);
    return { kind: 'tcp', host, port };
  }
  return fail('is not a known kind of backend');
}
