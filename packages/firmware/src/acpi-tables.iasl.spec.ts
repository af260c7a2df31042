/*
 * Cross-checks the tables with ACPICA's own tools (`iasl`, Debian package acpica-tools): the
 * disassembler must read every table without complaint and see the fields we meant, and the ASL
 * compiler must produce the same AML for the same DefinitionBlock. Skipped when iasl is absent.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AcpiTables } from './acpi-tables.js';

function hasIasl(): boolean {
  try {
    execFileSync('iasl', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasIasl())('ACPI tables checked by ACPICA iasl', () => {
  const dir = mkdtempSync(join(tmpdir(), 'popek-acpi-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const image = new AcpiTables().build(0xe_0000);

  function disassemble(signature: string): { output: string; dsl: string } {
    const t = image.tables.find((x) => x.signature === signature)!;
    const file = join(dir, `${signature.toLowerCase()}.dat`);
    writeFileSync(file, image.bytes.subarray(t.address - image.base, t.address - image.base + t.length));
    const output = execFileSync('iasl', ['-d', file], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { output, dsl: readFileSync(join(dir, `${signature.toLowerCase()}.dsl`), 'utf8') };
  }

  it('disassembles the FADT with the fields we wrote', () => {
    const { output, dsl } = disassemble('FACP');
    expect(output).not.toMatch(/warning|error/i);
    expect(dsl).toMatch(/Revision : 06/);
    expect(dsl).toMatch(/SCI Interrupt : 0009/);
    expect(dsl).toMatch(/PM1A Event Block Address : 00000600/);
    expect(dsl).toMatch(/PM1A Control Block Address : 00000604/);
    expect(dsl).toMatch(/PM Timer Block Address : 00000608/);
    expect(dsl).toMatch(/Reset Register Supported \(V2\) : 1/);
    expect(dsl).toMatch(/32-bit PM Timer \(V1\) : 0/);
    expect(dsl).toMatch(/8042 Present on ports 60\/64 \(V2\) : 1/);
    expect(dsl).toMatch(/Address : 0000000000000CF9/);
    expect(dsl).toMatch(/Value to cause reset : 06/);
  });

  it('disassembles the RSDT, XSDT and FACS', () => {
    expect(disassemble('RSDT').dsl).toMatch(/ACPI Table Address {3}0 : 000E00E0/);
    expect(disassemble('XSDT').dsl).toMatch(/ACPI Table Address {3}0 : 00000000000E00E0/);
    expect(disassemble('FACS').dsl).toMatch(/Version : 02/);
  });

  it('disassembles the DSDT to Name (\\_S5, Package (0x04) {Zero, Zero, Zero, Zero})', () => {
    const { dsl } = disassemble('DSDT');
    expect(dsl.replace(/\s+/g, ' ')).toContain('Name (\\_S5, Package (0x04) // _S5_: S5 System State { Zero, Zero, Zero, Zero })');
  });

  it('encodes the DSDT body exactly as iasl compiles the same ASL (optimisations off: iasl would drop the root prefix of \\_S5)', () => {
    writeFileSync(join(dir, 's5.asl'), 'DefinitionBlock ("", "DSDT", 2, "POPEK", "POPEKVM", 1) { Name (\\_S5, Package () { 0, 0, 0, 0 }) }\n');
    execFileSync('iasl', ['-on', '-p', join(dir, 's5'), join(dir, 's5.asl')], { cwd: dir, stdio: 'ignore' });
    const compiled = readFileSync(join(dir, 's5.aml'));
    const ours = new AcpiTables().dsdt();
    expect([...ours.subarray(36)]).toEqual([...compiled.subarray(36)]);
    expect([...ours.subarray(0, 9)]).toEqual([...compiled.subarray(0, 9)]); // signature, length, revision (iasl pads IDs with NULs, we with spaces)
  });
});
