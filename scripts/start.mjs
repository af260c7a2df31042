// `npm start`: boots the default guest once the `popek` CLI lands; until then, says so.
import { existsSync } from 'node:fs';

const cli = new URL('../packages/cli/dist/bin/popek.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('Popek cannot boot the default guest yet: the `popek` command (packages/cli) is not built in this checkout.');
  console.error('See the status table in README.md for what works today.');
  process.exit(1);
}
await import(cli.href);
