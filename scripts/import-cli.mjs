// `npm run import`: the import CLI from source with tsx when it is installed (development), else
// the built one in dist/ (the image, where dev dependencies such as tsx are pruned).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
let hasTsx = true;
try {
  import.meta.resolve('tsx');
} catch {
  hasTsx = false;
}
const source = fileURLToPath(new URL('./import.ts', import.meta.url));
const built = fileURLToPath(new URL('../dist/scripts/import.js', import.meta.url));
const command = hasTsx ? ['--import', 'tsx', source] : existsSync(built) ? [built] : undefined;
if (!command) {
  process.stderr.write('The import CLI is not built: run `npm run build` first.\n');
  process.exit(1);
}
const child = spawn(process.execPath, [...command, ...args], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
