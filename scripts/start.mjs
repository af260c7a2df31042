// `npm start [-- popek run options]`: builds the `popek` command (turbo skips what is up to date),
// then boots the default guest — which `popek run` downloads and builds on first use — with the
// serial console on this terminal.
import { spawnSync } from 'node:child_process';

const root = new URL('..', import.meta.url);
const build = spawnSync('npx', ['turbo', 'run', 'build', '--filter=@popek/cli...', '--output-logs=errors-only'], {
  cwd: root,
  stdio: ['ignore', 'inherit', 'inherit'],
  env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
});
if (build.status !== 0) {
  console.error('npm start: building Popek failed (see above).');
  process.exit(build.status ?? 1);
}
const run = spawnSync(process.execPath, [new URL('packages/cli/dist/bin/popek.js', root).pathname, 'run', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(run.status ?? 1);
