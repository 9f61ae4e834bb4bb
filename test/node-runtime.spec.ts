// npm scripts run on the Node of the `node` package (package.json optionalDependencies): npm
// puts node_modules/.bin first in PATH, and that package installs a `node` there. It is optional
// because the registry does not publish its binaries for every platform: where it fails to
// install, npm drops it quietly and scripts run on the machine's own node. This makes that
// fallback loud when the machine's node is older than package.json's engines.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

describe('the Node that npm test runs on', () => {
  it("is at least package.json's engines.node", () => {
    const wanted = /^>=(\d+)/.exec(pkg.engines.node);
    expect(wanted).not.toBeNull();
    const major = Number(process.versions.node.split('.')[0]);
    if (major < Number(wanted![1])) {
      throw new Error(
        `Tests run on Node ${process.version}, package.json wants ${pkg.engines.node}. \`npm test\` takes node from ` +
          `node_modules/.bin, where the \`node\` package (optionalDependencies, ${pkg.optionalDependencies?.node}) puts it; ` +
          `run the tests through npm, and if that package did not install on this machine (${process.platform}-${process.arch}), ` +
          `install Node ${pkg.engines.node} yourself.`,
      );
    }
  });

  it('is the pinned one where the `node` package installed', () => {
    let installed: string | undefined;
    try {
      installed = JSON.parse(readFileSync(new URL('../node_modules/node/package.json', import.meta.url), 'utf8')).version;
    } catch {
      return; // not installed on this platform: the test above covers the machine's own node
    }
    // Jest's workers inherit the parent's executable (process.execPath), so this is what every test ran on.
    expect(process.versions.node).toBe(installed);
    expect(installed).toBe(pkg.optionalDependencies.node);
  });
});
