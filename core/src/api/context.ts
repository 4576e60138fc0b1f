import type { Engine } from '../engine.js';
import type { ControlSession } from '../control/control-session.js';

/** What every API call needs: the engine (plugins, hooks, logger) and the control database. */
export interface BucardoContext {
  readonly engine: Engine;
  readonly control: ControlSession;
  /** Who is acting, for run records: e.g. `cli 1234@host`. */
  readonly worker: string;
}
