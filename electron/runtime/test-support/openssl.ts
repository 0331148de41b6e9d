import { execFileSync } from 'node:child_process';

/** Whether the openssl command is there: TLS tests make their certificates with it. */
export function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
