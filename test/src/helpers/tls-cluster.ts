/**
 * A PostgreSQL cluster of its own with ssl=on and certificate login, for the TLS end-to-end tests: a CA,
 * a server certificate for 127.0.0.1 signed by it, and a role `certuser` that logs in with a client
 * certificate only (`hostssl … cert`); the files in a temp directory the caller removes with `stop`.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres, type RestartablePgServer } from '../fixtures/embedded-postgres.js';
import { withClient } from './databases.js';

export interface TlsCluster {
  /** The cluster. */
  readonly server: RestartablePgServer;
  /** The temp directory of the certificates and keys. */
  readonly dir: string;
  /** A file of that directory. */
  file(name: string): string;
  /** Runs openssl in that directory. */
  openssl(...args: string[]): void;
  /** Stops the cluster and removes the directory. */
  stop(): Promise<void>;
}

/**
 * Starts the cluster. Files made: `ca.pem`/`ca.key`, `other-ca.pem` (a CA that signed nothing of it),
 * `server.crt`, `client.crt`/`client.key` (certuser's login), `stranger.key` (another key for the same
 * name), `loose.key` (client.key readable by others); `databases` are created owned by certuser, each
 * with a table `public.t (id int PRIMARY KEY, v text)`.
 */
export async function startTlsCluster(prefix: string, databases: readonly string[]): Promise<TlsCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const file = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => { execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' }); };
  /** A key and a certificate for `cn` signed by the CA `ca`. */
  const signed = (name: string, cn: string, ca: string, ext?: string) => {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    if (ext !== undefined) writeFileSync(file(`${name}.cnf`), `${ext}\n`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', ...(ext === undefined ? [] : ['-extfile', `${name}.cnf`]));
    chmodSync(file(`${name}.key`), 0o600);
  };
  chmodSync(dir, 0o755);
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=Bucardo test CA');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'other-ca.key', '-out', 'other-ca.pem', '-days', '2', '-subj', '/CN=Another CA');
  signed('server', '127.0.0.1', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost');
  signed('client', 'certuser', 'ca');
  signed('stranger', 'certuser', 'ca');
  copyFileSync(file('client.key'), file('loose.key'));
  chmodSync(file('loose.key'), 0o644);
  writeFileSync(file('pg_hba.conf'), [
    'hostssl all certuser 127.0.0.1/32 cert',
    'host all certuser 127.0.0.1/32 reject',
    'host all all 127.0.0.1/32 scram-sha-256',
  ].join('\n') + '\n');
  // as root the server runs as user postgres, which must own its key
  if (process.getuid?.() === 0) execFileSync('chown', ['postgres', file('server.key')]);
  const server = await startEmbeddedPostgres({
    ssl: 'on', ssl_cert_file: file('server.crt'), ssl_key_file: file('server.key'), ssl_ca_file: file('ca.pem'), hba_file: file('pg_hba.conf'),
  });
  await withClient(server.url(), (c) => c.query('CREATE ROLE certuser LOGIN SUPERUSER'));
  for (const db of databases) {
    await withClient(server.url(), (c) => c.query(`CREATE DATABASE ${db} OWNER certuser`));
    await withClient(server.url(db), (c) => c.query('CREATE TABLE public.t (id int PRIMARY KEY, v text); ALTER TABLE public.t OWNER TO certuser'));
  }
  return {
    server, dir, file, openssl,
    stop: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
