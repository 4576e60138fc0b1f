import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BucardoError } from './errors.js';

/*
 * libpq's TLS files (sslrootcert, sslcert, sslkey) for connections made with node-postgres, which takes
 * the files' contents: they are read here at every connect, so a renewed certificate is used by the next
 * connection, and checked as libpq checks them, with errors naming the file.
 */

/** The TLS files of a connection as given (its parameters, or its service); unset ones fall back to PG* variables and ~/.postgresql. */
export interface TlsFileSettings {
  /** The CA certificates that sign the server's certificate, or `system` for Node's. */
  readonly sslrootcert?: string;
  /** The client certificate. */
  readonly sslcert?: string;
  /** The client certificate's private key. */
  readonly sslkey?: string;
  /**
   * The passphrase of an encrypted private key (libpq's `sslpassword`); never said in a message. A function
   * is called only when the key turns out to be encrypted, as libpq ignores the setting otherwise (an
   * `env:NAME` whose variable is unset fails only the connection that needs it).
   */
  readonly sslpassword?: SslPassword;
  /**
   * Where a setting came from when it is not the connection's own, for messages: `service "prod",
   * /home/u/.pg_service.conf` (then said as `sslrootcert= of service "prod", …`).
   */
  readonly from?: Readonly<Partial<Record<'sslmode' | 'sslrootcert' | 'sslcert' | 'sslkey' | 'sslpassword', string>>>;
  /**
   * How the connection's own settings are named in messages where not as a database's parameters
   * (`sslkey=`): the control connection's `control.sslkey in /srv/bucardo.config.ts`.
   */
  readonly named?: Readonly<Partial<Record<'sslrootcert' | 'sslcert' | 'sslkey' | 'sslpassword', string>>>;
}

/** A key's passphrase, or what gives it when it is needed (see `TlsFileSettings.sslpassword`). */
export type SslPassword = string | (() => string | undefined);

/** The files' contents, as Node's TLS takes them. */
export interface TlsFileContents {
  /** The CA certificates (PEM), when a root certificate file applies. */
  readonly ca?: string;
  /** That file and where its name came from (`/etc/ca.pem (PGSSLROOTCERT)`), for messages. */
  readonly caFile?: string;
  /** Whether `sslrootcert=system`: Node's own CAs, and only with `verify-full`. */
  readonly systemRoots: boolean;
  /** The client certificate (PEM). */
  readonly cert?: string;
  /** Its private key (PEM), as the file holds it: encrypted, when `passphrase` opens it. */
  readonly key?: string;
  /** The passphrase that opened an encrypted key (Node's TLS takes it beside the key). */
  readonly passphrase?: string;
}

/** A file of the connection and where its name came from, for messages. */
interface Located {
  readonly file: string;
  readonly from: string;
  /** Given to the connection itself (not a service's, a variable's or libpq's default). */
  readonly own?: boolean;
}

/**
 * Which files apply: the setting, else PGSSLROOTCERT, PGSSLCERT, PGSSLKEY, else libpq's defaults
 * ~/.postgresql/root.crt, postgresql.crt and postgresql.key where they exist.
 */
function locate(settings: TlsFileSettings, env: NodeJS.ProcessEnv): { root?: Located; cert?: Located; key?: Located } {
  const home = path.join(env.HOME || os.homedir(), '.postgresql');
  const pick = (name: 'sslrootcert' | 'sslcert' | 'sslkey', variable: string, fallback: string): Located | undefined => {
    const given = settings[name];
    const source = settings.from?.[name];
    if (given !== undefined && given !== '') {
      return source === undefined ? { file: given, from: settings.named?.[name] ?? `${name}=`, own: true } : { file: given, from: `${name}= of ${source}` };
    }
    if (env[variable]) return { file: env[variable]!, from: variable };
    const file = path.join(home, fallback);
    return exists(file) ? { file, from: `libpq's default ${name}` } : undefined;
  };
  const cert = pick('sslcert', 'PGSSLCERT', 'postgresql.crt');
  const root = pick('sslrootcert', 'PGSSLROOTCERT', 'root.crt');
  // the default key goes with a certificate, even where the key file is missing (said when read)
  const key = pick('sslkey', 'PGSSLKEY', 'postgresql.key') ?? (cert ? { file: path.join(home, 'postgresql.key'), from: "libpq's default sslkey" } : undefined);
  return { ...(root ? { root } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}) };
}

function exists(file: string): boolean {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * Reads and checks the TLS files of a connection: each must be a readable file; the key must be a file
 * others cannot read (mode 0600 or less, 0640 when root owns it: libpq refuses any other), must be a
 * private key (an encrypted one opened with `sslpassword`), and must be the certificate's. A key without
 * a certificate is refused as well. Every
 * failure is a `CONNECTION_FAILED` whose `item` is the file's path.
 */
export function readTlsFiles(settings: TlsFileSettings, env: NodeJS.ProcessEnv = process.env): TlsFileContents {
  const { root, cert, key } = locate(settings, env);
  const systemRoots = root?.file === 'system';
  const ca = root && !systemRoots ? readPem(root, 'root certificate') : undefined;
  if (ca !== undefined) parseCertificate(ca, root!, 'root certificate');
  const caOf = ca === undefined ? {} : { ca, caFile: `${root!.file} (${root!.from})` };
  if (cert === undefined) {
    if (key?.own) fail(key, `${key.from === 'sslkey=' ? `sslkey=${key.file}` : `${key.from} (${key.file})`} is given without a certificate (sslcert=)`);
    return { ...caOf, systemRoots };
  }
  const certText = readPem(cert, 'client certificate');
  const certificate = parseCertificate(certText, cert, 'client certificate');
  checkKeyMode(key!);
  const keyText = readPem(key!, 'private key');
  const { privateKey, passphrase } = openPrivateKey(keyText, key!, settings);
  if (!certificate.checkPrivateKey(privateKey)) {
    fail(key!, `the private key file ${key!.file} (${key!.from}) is not the key of the client certificate ${cert.file} (${cert.from})`);
  }
  return { ...caOf, systemRoots, cert: certText, key: keyText, ...(passphrase === undefined ? {} : { passphrase }) };
}

/** PKCS#8's `ENCRYPTED PRIVATE KEY`, or a traditional PEM key with `Proc-Type: 4,ENCRYPTED`. */
function isEncrypted(pem: string): boolean {
  return /-----BEGIN ENCRYPTED PRIVATE KEY-----/.test(pem) || /^Proc-Type:\s*4,\s*ENCRYPTED\s*$/m.test(pem);
}

/**
 * The key, opened with `sslpassword` where it is encrypted. An encrypted key without a passphrase, and a
 * passphrase that does not open it, are refused naming the file and where the passphrase came from, never
 * the passphrase (OpenSSL's words for a wrong one, `bad decrypt`, say nothing of which file).
 */
function openPrivateKey(pem: string, key: Located, settings: TlsFileSettings): { privateKey: KeyObject; passphrase?: string } {
  const encrypted = isEncrypted(pem);
  if (!encrypted) {
    try {
      return { privateKey: createPrivateKey(pem) };
    } catch (error) {
      return fail(key, `the private key file ${key.file} (${key.from}) cannot be read as a private key: ${(error as Error).message}`, error);
    }
  }
  const given = settings.sslpassword;
  const passphrase = typeof given === 'function' ? given() : given;
  if (passphrase === undefined || passphrase === '') {
    fail(key, `the private key file ${key.file} (${key.from}) is encrypted, and no sslpassword was given to open it`);
  }
  try {
    return { privateKey: createPrivateKey({ key: pem, passphrase }), passphrase };
  } catch (error) {
    const from = settings.from?.sslpassword === undefined ? settings.named?.sslpassword ?? 'sslpassword=' : `sslpassword= of ${settings.from.sslpassword}`;
    return fail(key, `the private key file ${key.file} (${key.from}) cannot be opened with the passphrase given (${from}): wrong passphrase, or a damaged file`, error);
  }
}

function readPem(located: Located, what: string): string {
  try {
    return readFileSync(located.file, 'utf8');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist' : `cannot be read (${(error as Error).message})`;
    return fail(located, `the ${what} file ${located.file} (${located.from}) ${why}`, error);
  }
}

function parseCertificate(text: string, located: Located, what: string): X509Certificate {
  try {
    return new X509Certificate(text);
  } catch (error) {
    return fail(located, `the ${what} file ${located.file} (${located.from}) holds no PEM certificate: ${(error as Error).message}`, error);
  }
}

/** libpq's rule: at most u=rw (0600) for the key's owner, or u=rw,g=r (0640) where root owns it. */
function checkKeyMode(key: Located): void {
  let stat;
  try {
    stat = statSync(key.file);
  } catch (error) {
    readPem(key, 'private key');
    throw error;
  }
  if (!stat.isFile()) fail(key, `the private key file ${key.file} (${key.from}) is not a plain file`);
  if (process.platform === 'win32') return;
  const tooWide = stat.uid === 0 ? stat.mode & 0o137 : stat.mode & 0o077;
  if (tooWide !== 0) {
    const mode = (stat.mode & 0o777).toString(8).padStart(4, '0');
    fail(key, `the private key file ${key.file} (${key.from}) has mode ${mode}, readable by group or others: it must be u=rw (0600) or less, or u=rw,g=r (0640) or less if owned by root (chmod 0600 ${key.file})`);
  }
}

function fail(located: Located, message: string, cause?: unknown): never {
  throw new BucardoError('CONNECTION_FAILED', message, { item: located.file, ...(cause === undefined ? {} : { cause }) });
}
