/**
 * The control database's target as resolved from the config, PGSERVICE and the service file, without a
 * server: the config's `service` wins over PGSERVICE (libpq's parameter over its variable), and the
 * config's TLS settings over the service's.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { libpqTls } from '@bucardo/plugin-sdk';
import { resolveControlTarget } from '../src/control/control-connection.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'control-target-'));
const services = path.join(dir, 'pg_service.conf');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
writeFileSync(services, '[fromenv]\nhost=envhost\ndbname=envdb\n[fromconfig]\nhost=cfghost\nport=5433\ndbname=cfgdb\nsslmode=verify-full\nsslkey=/svc.key\nsslpassword=svc pass\n');

describe('resolveControlTarget', () => {
  it('control.service wins over PGSERVICE; the config\'s fields and TLS settings over the service\'s', () => {
    const env = { PGSERVICEFILE: services, PGSERVICE: 'fromenv', HOME: dir };
    expect(resolveControlTarget({}, env)).toMatchObject({ dbname: 'envdb', host: 'envhost', service: 'fromenv' });
    expect(resolveControlTarget({ service: 'fromconfig', sslmode: 'require', sslpassword: 'mine' }, env)).toEqual({
      dbname: 'cfgdb', host: 'cfghost', port: 5433, service: 'fromconfig',
      tls: { sslmode: 'require', sslkey: '/svc.key', sslpassword: 'mine', from: { sslkey: `service "fromconfig", ${services}` }, named: { sslpassword: 'control.sslpassword' } },
    });
  });

  it('a bad TLS file of the config is said as the config names it, not as add db\'s sslkey=', () => {
    const config = '/srv/bucardo.config.ts';
    const target = resolveControlTarget({ sslmode: 'require', sslcert: path.join(dir, 'none.crt'), sslkey: path.join(dir, 'none.key'), sslpassword: 'x' }, {}, config);
    expect(target.tls?.named).toEqual({ sslcert: `control.sslcert in ${config}`, sslkey: `control.sslkey in ${config}`, sslpassword: `control.sslpassword in ${config}` });
    expect(() => libpqTls(target.tls!, { HOME: dir })).toThrow(expect.objectContaining({
      code: 'CONNECTION_FAILED', message: `the client certificate file ${path.join(dir, 'none.crt')} (control.sslcert in ${config}) does not exist`,
    }));
  });

  it('an unknown service is said of the control database and of control.service', () => {
    expect(() => resolveControlTarget({ service: 'absent' }, { PGSERVICEFILE: services, PGSYSCONFDIR: path.join(dir, 'etc') })).toThrow(expect.objectContaining({
      code: 'INVALID_ARGUMENT',
      message: `The control database's service (control.service=absent): The service "absent" is not defined in ${services} nor in ${path.join(dir, 'etc', 'pg_service.conf')}`,
    }));
  });
});
