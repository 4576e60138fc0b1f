import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

/** The scenarios `--only` can name, in the order a full run takes them. */
export const SCENARIOS = ['seed', 'capture', 'instructions', 'backlog', 'tables', 'latency'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export const USAGE = `Usage: npm run bench [-- OPTIONS]

  (no options)            the full set: seed at 1,000 and 10,000 transactions (2 and 4 sources), capture
                          overhead (tps, and instructions under valgrind), a 1,000,000-row backlog, a sync
                          of 400 tables, autokick latency; saved as bench/results/latest.json
  --quick                 small sizes, to check the benchmark itself (not saved as latest)
  --only SCENARIO         one scenario: ${SCENARIOS.join(', ')}
                          (compared with the latest full run; saved beside it, not as latest)
  --backlog-rows N        the backlog at another size (memory stays bounded by partitionSize)
  --partition-size N      the backlog's kick with another partitionSize
  --peer SCRIPT           each seed size also on the real Bucardo 5.6 (../shared/bench/bucardo-seed-demo.sh;
                          root and the Debian bucardo package), run just before ours; with the capture
                          scenarios, Bucardo's triggers are measured beside ours
  --help                  this text
`;

export interface BenchOptions {
  readonly quick: boolean;
  readonly only?: Scenario;
  readonly backlogRows?: number;
  readonly partitionSize?: number;
  readonly peer?: string;
}

/** A command line the benchmark cannot run: the message names the option and what is wrong with it. */
export class BenchUsageError extends Error {}

/** The benchmark's options, or `'help'`; bad ones throw a `BenchUsageError` before any server starts. */
export function parseBenchOptions(args: readonly string[]): BenchOptions | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: {
        quick: { type: 'boolean', default: false }, only: { type: 'string' }, 'backlog-rows': { type: 'string' },
        'partition-size': { type: 'string' }, peer: { type: 'string' }, help: { type: 'boolean', default: false },
      },
    }));
  } catch (error) {
    // node's own text names the option ("Unknown option '--x'", "Option '--only <value>' argument missing")
    throw new BenchUsageError(error instanceof Error ? error.message : String(error));
  }
  if (values.help === true) return 'help';
  const only = values.only as string | undefined;
  if (only !== undefined && !(SCENARIOS as readonly string[]).includes(only)) {
    throw new BenchUsageError(`--only names no scenario: ${only} (one of ${SCENARIOS.join(', ')})`);
  }
  const peer = values.peer as string | undefined;
  if (peer !== undefined && !existsSync(peer)) throw new BenchUsageError(`--peer names no file: ${peer}`);
  const backlogRows = wholeNumber('--backlog-rows', values['backlog-rows'] as string | undefined);
  const partitionSize = wholeNumber('--partition-size', values['partition-size'] as string | undefined);
  return {
    quick: values.quick === true,
    ...(only === undefined ? {} : { only: only as Scenario }),
    ...(backlogRows === undefined ? {} : { backlogRows }),
    ...(partitionSize === undefined ? {} : { partitionSize }),
    ...(peer === undefined ? {} : { peer }),
  };
}

/** A numeric option's value, or undefined when not given; anything but a whole number above 0 is an error. */
function wholeNumber(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value <= 0) throw new BenchUsageError(`${option} must be a whole number above 0, not ${text}`);
  return value;
}
