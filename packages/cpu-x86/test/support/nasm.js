import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
/** Whether nasm is on the PATH. */
export const hasNasm = (() => {
    try {
        execFileSync('nasm', ['-v'], { stdio: 'ignore' });
        return true;
    }
    catch {
        return false;
    }
})();
const cache = new Map();
/** Assembles `source` as a flat binary (`nasm -f bin`) and returns its bytes (cached by source). */
export function assemble(source) {
    const hit = cache.get(source);
    if (hit !== undefined)
        return hit.slice();
    const bytes = assembleUncached(source);
    cache.set(source, bytes);
    return bytes.slice();
}
function assembleUncached(source) {
    const dir = mkdtempSync(join(tmpdir(), 'popek-nasm-'));
    try {
        writeFileSync(join(dir, 'a.asm'), source);
        execFileSync('nasm', ['-f', 'bin', '-o', join(dir, 'a.bin'), join(dir, 'a.asm')], { stdio: ['ignore', 'ignore', 'pipe'] });
        return new Uint8Array(readFileSync(join(dir, 'a.bin')));
    }
    finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
//# sourceMappingURL=nasm.js.map