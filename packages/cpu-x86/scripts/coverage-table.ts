/**
 * Builds the coverage table (docs/coverage.md) from the opcode table: every form, whether the
 * interpreter implements it, whether the host-differential harness exercises it, and which
 * system-test kernels (compared with qemu) reach it.
 */
import { hasHandler } from '../src/interpreter/dispatch.js';
import { InstructionClass, OPCODE_FORMS, type OpcodeForm } from '../src/opcode-table.js';
import { coveredForms } from '../test/native/cases.js';

const CLASS_NAMES: Record<number, string> = {
  [InstructionClass.Ordinary]: 'ordinary',
  [InstructionClass.Privileged]: 'privileged',
  [InstructionClass.IoSensitive]: 'IOPL/bitmap',
  [InstructionClass.Sensitive]: 'sensitive',
};

/** Forms exercised by the system kernels (test/system/kernels), compared with qemu-system-i386. */
const SYSTEM_FORMS: readonly string[] = [
  '0f00/0', '0f00/1', '0f00/2', '0f00/3', '0f00/4', '0f00/5', '0f01/2', '0f01/3', '0f01/7', '0f02', '0f03', '0f06', '0f0b',
  '0f20', '0f22', '0f30', '0f32', '0f34', '0f35', '0fb2', 'cc', 'cd', 'ce', 'cf', 'ca', 'cb', '9a', 'ea', 'ff/3', 'ff/5',
  'e4', 'e6', 'ec', 'ee', 'fa', 'fb', 'f4', '8e', '07', '17', '1f', '62', 'f6/6',
];

function formKey(f: OpcodeForm): string {
  return `${f.opcode.toString(16)}/${f.ext}`;
}

function systemKey(f: OpcodeForm): string {
  const op = f.opcode.toString(16).padStart(f.opcode > 0xff ? 4 : 2, '0');
  return f.ext >= 0 ? `${op}/${f.ext}` : op;
}

function opcodeText(f: OpcodeForm): string {
  const hex = (v: number): string => v.toString(16).toUpperCase().padStart(2, '0');
  const bytes = f.opcode > 0xff ? `0F ${hex(f.opcode & 0xff)}` : hex(f.opcode);
  return f.ext >= 0 ? `${bytes} /${f.ext}` : bytes;
}

function flagNames(mask: number): string {
  const names: [number, string][] = [[0x1, 'CF'], [0x4, 'PF'], [0x10, 'AF'], [0x40, 'ZF'], [0x80, 'SF'], [0x800, 'OF']];
  return names.filter(([b]) => (mask & b) !== 0).map(([, n]) => n).join(' ');
}

/** The coverage table as Markdown. */
export function coverageMarkdown(): string {
  const diff = coveredForms();
  const sys = new Set(SYSTEM_FORMS);
  const lines: string[] = [];
  let implemented = 0;
  let differential = 0;
  let system = 0;
  const rows: string[] = [];
  for (const f of OPCODE_FORMS) {
    const index = f.opcode > 0xff ? 0x100 | (f.opcode & 0xff) : f.opcode;
    const impl = f.implemented && hasHandler(index);
    const d = diff.has(formKey(f));
    const s = sys.has(systemKey(f));
    if (impl) implemented++;
    if (d) differential++;
    if (s) system++;
    const note = f.note.replace(/\|/g, '/');
    rows.push(`| ${opcodeText(f)} | ${f.mnemonic} | ${f.operands || '—'} | ${CLASS_NAMES[f.cls]} | ${impl ? 'yes' : 'no (#UD)'} | ${d ? 'yes' : ''} | ${s ? 'yes' : ''} | ${flagNames(f.undefinedFlags)} | ${note} |`);
  }
  lines.push('# cpu-x86 coverage');
  lines.push('');
  lines.push('Generated from the opcode table by `npm run coverage -w @popek/cpu-x86`; a test checks that it is up to date.');
  lines.push('');
  lines.push('- **implemented**: the interpreter has a handler (otherwise the P6 raises #UD and so does Popek).');
  lines.push('- **host diff**: the host-differential harness (test/native) runs the form with randomised and edge operands on the host CPU and in Popek and compares registers, defined flags and memory.');
  lines.push('- **system**: a system-test kernel (test/system/kernels) executes the form and its output matches qemu-system-i386.');
  lines.push('- **undefined flags**: what the SDM leaves undefined; masked in comparisons.');
  lines.push('');
  lines.push(`${OPCODE_FORMS.length} forms: ${implemented} implemented, ${differential} covered by the host differential, ${system} by the system kernels.`);
  lines.push('');
  lines.push('| opcode | mnemonic | operands | class | implemented | host diff | system | undefined flags | note |');
  lines.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  lines.push(...rows);
  lines.push('');
  return lines.join('\n');
}
