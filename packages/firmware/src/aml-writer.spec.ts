import { describe, expect, it } from 'vitest';
import { decodeAml } from '../test/aml-decoder.js';
import { byteSum } from './acpi-header.js';
import {
  amlDefinitionBlock,
  amlInteger,
  amlName,
  amlNameSeg,
  amlNameString,
  amlPackage,
  amlPkgLength,
  amlScope,
  amlString,
} from './aml-writer.js';

const bytes = (a: Uint8Array): number[] => [...a];

describe('AML writer', () => {
  it('encodes integers in the shortest form', () => {
    expect(bytes(amlInteger(0))).toEqual([0x00]);
    expect(bytes(amlInteger(1))).toEqual([0x01]);
    expect(bytes(amlInteger(5))).toEqual([0x0a, 0x05]);
    expect(bytes(amlInteger(0xff))).toEqual([0x0a, 0xff]);
    expect(bytes(amlInteger(0x100))).toEqual([0x0b, 0x00, 0x01]);
    expect(bytes(amlInteger(0x1_0000))).toEqual([0x0c, 0x00, 0x00, 0x01, 0x00]);
    expect(bytes(amlInteger(0xffff_ffff))).toEqual([0x0c, 0xff, 0xff, 0xff, 0xff]);
    expect(bytes(amlInteger(0x1_0000_0000))).toEqual([0x0e, 0, 0, 0, 0, 1, 0, 0, 0]);
    expect(bytes(amlInteger(0xffff_ffff_ffff_ffffn))).toEqual([0x0e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(() => amlInteger(-1)).toThrow(RangeError);
    expect(() => amlInteger(1.5)).toThrow(RangeError);
    expect(() => amlInteger(1n << 64n)).toThrow(RangeError);
  });

  it('encodes strings with StringPrefix and a NUL, ASCII only', () => {
    expect(bytes(amlString('Hi'))).toEqual([0x0d, 0x48, 0x69, 0x00]);
    expect(() => amlString('é')).toThrow(RangeError);
    expect(() => amlString('a\0b')).toThrow(RangeError);
  });

  it('encodes name segments and paths', () => {
    expect(bytes(amlNameSeg('_S5'))).toEqual([0x5f, 0x53, 0x35, 0x5f]);
    expect(bytes(amlNameString('\\_S5'))).toEqual([0x5c, 0x5f, 0x53, 0x35, 0x5f]);
    expect(bytes(amlNameString('\\_SB.PCI0'))).toEqual([0x5c, 0x2e, 0x5f, 0x53, 0x42, 0x5f, 0x50, 0x43, 0x49, 0x30]);
    expect(bytes(amlNameString('A.B.C'))).toEqual([0x2f, 3, 0x41, 0x5f, 0x5f, 0x5f, 0x42, 0x5f, 0x5f, 0x5f, 0x43, 0x5f, 0x5f, 0x5f]);
    expect(bytes(amlNameString('^^FOO'))).toEqual([0x5e, 0x5e, 0x46, 0x4f, 0x4f, 0x5f]);
    expect(bytes(amlNameString('\\'))).toEqual([0x5c, 0x00]);
    for (const bad of ['1AB', 'ABCDE', 'ab', '_S5.', '']) expect(() => amlNameSeg(bad)).toThrow(RangeError);
  });

  it('encodes PkgLength in one to four bytes, counting itself', () => {
    expect(bytes(amlPkgLength(0))).toEqual([0x01]);
    expect(bytes(amlPkgLength(62))).toEqual([0x3f]);
    expect(bytes(amlPkgLength(63))).toEqual([0x41, 0x04]); // 65 = 0x41: lead 0x40 | 1, then 4
    expect(bytes(amlPkgLength(0xffd))).toEqual([0x4f, 0xff]); // 0xfff, the largest two-byte length
    expect(bytes(amlPkgLength(0x1000))).toEqual([0x83, 0x00, 0x01]); // 0x1003
    expect(bytes(amlPkgLength(0x10_0000))).toEqual([0xc4, 0x00, 0x00, 0x01]); // 0x100004
    expect(() => amlPkgLength(0x1000_0000)).toThrow(RangeError);
  });

  it('round-trips long packages through the independent decoder', () => {
    const elements = Array.from({ length: 100 }, (_, i) => amlInteger(i * 1000));
    const [node] = decodeAml(amlName('BIG', amlPackage(elements)));
    expect(node).toMatchObject({ op: 'Name', name: 'BIG_', value: { op: 'Package', numElements: 100 } });
    const pkg = (node as { value: { elements: { value: bigint }[] } }).value;
    expect(pkg.elements.map((e) => Number(e.value))).toEqual(Array.from({ length: 100 }, (_, i) => i * 1000));
    expect(() => amlPackage(Array.from({ length: 256 }, () => amlInteger(0)))).toThrow(RangeError);
  });

  it('encodes Scope with nested Names', () => {
    const scope = amlScope('\\_SB', [amlName('FOO', amlString('bar'))]);
    expect(decodeAml(scope)).toEqual([{ op: 'Scope', name: '\\_SB_', terms: [{ op: 'Name', name: 'FOO_', value: { op: 'String', value: 'bar' } }] }]);
  });

  it('builds a definition block whose bytes sum to zero', () => {
    const table = amlDefinitionBlock({ signature: 'SSDT', revision: 2 }, [amlName('\\X', amlInteger(7))]);
    expect(String.fromCharCode(...table.subarray(0, 4))).toBe('SSDT');
    expect(new DataView(table.buffer).getUint32(4, true)).toBe(table.length);
    expect(byteSum(table)).toBe(0);
  });
});
