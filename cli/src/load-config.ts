import { cosmiconfig, defaultLoaders, type Loader } from 'cosmiconfig';
import { createJiti } from 'jiti';
import { BucardoError, type BucardoConfig } from '@bucardo/plugin-sdk';
import { configProblems, showValue, type ConfigProblem } from './check-config.js';
import { oneLine } from './one-line.js';

export interface LoadedConfig {
  readonly config: BucardoConfig;
  /** The file it came from; undefined when none was found (the standard plugins are used). */
  readonly filepath?: string;
}

/**
 * TypeScript configs are loaded with jiti, which follows imports of other .ts files and workspace
 * packages (cosmiconfig's own TS loader transpiles only the one file and breaks with TypeScript 7).
 * The module cache is off so that a reload sees edited files.
 */
const loadTs: Loader = async (filepath) => {
  const jiti = createJiti(import.meta.url, { moduleCache: false });
  return jiti.import(filepath, { default: true });
};

/** The config file a loader failed on: a search that fails knows no path of its own to name. */
const failedFile = Symbol('bucardo config file');

/** `loader`, its failures marked with the file it was loading. */
function naming(loader: Loader): Loader {
  return async (filepath, content) => {
    try {
      return await loader(filepath, content);
    } catch (error) {
      if (typeof error === 'object' && error !== null) Object.assign(error, { [failedFile]: filepath });
      throw error;
    }
  };
}

const searchPlaces = [
  'bucardo.config.ts', 'bucardo.config.mts', 'bucardo.config.js', 'bucardo.config.mjs', 'bucardo.config.cjs',
  '.bucardorc.json', '.bucardorc.yaml', '.bucardorc.yml', '.bucardorc', 'package.json',
];

/** Finds `bucardo.config.*` from `cwd` up to the project root, or loads the file given by `--config`. */
export async function loadConfig(explicitPath: string | undefined, cwd = process.cwd()): Promise<LoadedConfig> {
  const explorer = cosmiconfig('bucardo', {
    searchPlaces,
    searchStrategy: 'project',
    loaders: Object.fromEntries(Object.entries({ ...defaultLoaders, '.ts': loadTs, '.mts': loadTs, '.cts': loadTs }).map(([ext, loader]) => [ext, naming(loader)])),
  });
  let result;
  try {
    result = explicitPath ? await explorer.load(explicitPath) : await explorer.search(cwd);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (explicitPath && code === 'ENOENT') {
      throw new BucardoError('CONFIG_NOT_FOUND', `Config file ${explicitPath} does not exist`, { item: explicitPath, cause: error });
    }
    const file = explicitPath ?? (error as { [failedFile]?: string })[failedFile];
    throw new BucardoError('CONFIG_INVALID', `Cannot load the config${file ? ` ${file}` : ''}: ${loadFailure(error, file)}`, { item: file ?? 'bucardo.config', cause: error });
  }
  if (!result || result.isEmpty) return { config: {} };
  const config = result.config as unknown;
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new BucardoError('CONFIG_INVALID', `The config ${result.filepath} must export an object (use defineConfig({ … }))`, { item: result.filepath });
  }
  refuseBadConfig(config as Record<string, unknown>, result.filepath);
  return { config: config as BucardoConfig, filepath: result.filepath };
}

/**
 * Refuses the config at once, naming the file and the field, rather than ignoring a typo or failing later
 * in the daemon (core refuses bad sizes too, but cannot name the file).
 */
function refuseBadConfig(config: Readonly<Record<string, unknown>>, filepath: string): void {
  const [problem, ...more] = configProblems(config);
  if (!problem) return;
  const also = more.length === 0 ? '' : `; also, it ${more.map(describeProblem).join('; and it ')}`;
  throw new BucardoError('CONFIG_INVALID', `The config ${filepath} ${describeProblem(problem)}${also}`, { item: `${filepath}: ${problem.field}` });
}

function describeProblem(problem: ConfigProblem): string {
  return problem.kind === 'unknown'
    ? `has an unknown field "${problem.field}": ${problem.closest ? `did you mean ${problem.closest}?` : `the known fields are ${problem.known.join(', ')}`}`
    : `sets ${problem.field} to ${showValue(problem.value)}: it must be ${problem.rule}`;
}

/**
 * Why a config file could not be loaded. A JSON (or YAML) file's parse error from cosmiconfig holds its
 * code frame twice and starts by naming the file again: said once, the explanation then the frame. Any
 * other failure is one line, naming the module it was thrown in when that is not the config itself (a
 * plugin the config imports that throws as it loads).
 */
function loadFailure(error: unknown, file: string | undefined): string {
  const { message, codeFrame } = error as { message: string; codeFrame?: unknown };
  if (typeof codeFrame !== 'string' || codeFrame === '') {
    const module = thrownIn(error);
    return `${oneLine(error)}${module && module !== file && !message.includes(module) ? ` (thrown in ${module})` : ''}`;
  }
  const explanation = message.split(codeFrame).join('').replace(/^\w+ Error in [^\n]*:\s*/, '').trim();
  return `${explanation}\n\n${codeFrame}\n`;
}

/** The file of the first stack frame outside jiti and node itself: where the error was thrown. */
function thrownIn(error: unknown): string | undefined {
  const stack = error instanceof Error ? error.stack ?? '' : '';
  for (const line of stack.split('\n').slice(1)) {
    const frame = /^\s*at (?:.*\()?(?:file:\/\/)?(\/[^():]+):\d+:\d+\)?$/.exec(line);
    if (frame && !/\/node_modules\/(jiti|cosmiconfig)\//.test(frame[1]!)) return frame[1];
  }
  return undefined;
}
