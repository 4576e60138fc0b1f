import type { GlobalOptions } from '../argv.js';

/**
 * How `bucardo start` hands the control database's password (`-P`) to the daemon it launches: in the
 * daemon's environment, never on its command line. A command line is shown to every user of the machine
 * (`ps`, /proc/PID/cmdline) for as long as the daemon runs; an environment only by the daemon's own user
 * (and root), and the daemon drops the variable as it starts, so nothing it launches inherits it.
 */
export const DAEMON_PASSWORD_VARIABLE = 'BUCARDO_DAEMON_CONTROL_PASSWORD';

/** The environment of the daemon to launch: the caller's, with `-P` in it when given. */
export function daemonEnvironment(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const { [DAEMON_PASSWORD_VARIABLE]: _inherited, ...rest } = env;
  return options.dbPass === undefined ? rest : { ...rest, [DAEMON_PASSWORD_VARIABLE]: options.dbPass };
}

/** In the daemon: takes the password `start` left in the environment, as if given with `-P`. */
export function takeDaemonPassword(options: GlobalOptions, env: NodeJS.ProcessEnv = process.env): void {
  const password = env[DAEMON_PASSWORD_VARIABLE];
  delete env[DAEMON_PASSWORD_VARIABLE];
  if (password !== undefined) options.dbPass = password;
}
