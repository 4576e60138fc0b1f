import { readFileSync } from 'node:fs';

/** This package's version (`bucardo --version`, the daemon's startup banner). */
export function cliVersion(): string {
  const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return packageJson.version;
}
