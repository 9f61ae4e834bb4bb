// npm run openapi -- [file]
//
// Writes the OpenAPI document (the one GET /docs-json serves) to <file> (default: openapi.json),
// or to stdout with "-". Needs no database and starts no server: the app is built in preview mode.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { openApiDocument } from '../src/http/openapi.js';

const target = process.argv[2] ?? 'openapi.json';
if (process.argv.length > 3 || target === '--help' || target === '-h') {
  process.stderr.write('Usage: npm run openapi -- [file]   (default openapi.json; "-" for stdout)\n');
  process.exit(target === '--help' || target === '-h' ? 0 : 2);
}
const json = `${JSON.stringify(await openApiDocument(), null, 2)}\n`;
if (target === '-') process.stdout.write(json);
else {
  await writeFile(target, json);
  process.stderr.write(`OpenAPI document written to ${path.resolve(target)}\n`);
}
