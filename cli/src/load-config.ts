import { cosmiconfig, type Loader } from 'cosmiconfig';
import { createJiti } from 'jiti';
import { BucardoError, type BucardoConfig } from '@bucardo/plugin-sdk';
import { configProblems, showValue, type ConfigProblem } from './check-config.js';

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

const searchPlaces = [
  'bucardo.config.ts', 'bucardo.config.mts', 'bucardo.config.js', 'bucardo.config.mjs', 'bucardo.config.cjs',
  '.bucardorc.json', '.bucardorc.yaml', '.bucardorc.yml', '.bucardorc', 'package.json',
];

/** Finds `bucardo.config.*` from `cwd` up to the project root, or loads the file given by `--config`. */
export async function loadConfig(explicitPath: string | undefined, cwd = process.cwd()): Promise<LoadedConfig> {
  const explorer = cosmiconfig('bucardo', {
    searchPlaces,
    searchStrategy: 'project',
    loaders: { '.ts': loadTs, '.mts': loadTs, '.cts': loadTs },
  });
  let result;
  try {
    result = explicitPath ? await explorer.load(explicitPath) : await explorer.search(cwd);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (explicitPath && code === 'ENOENT') {
      throw new BucardoError('CONFIG_NOT_FOUND', `Config file ${explicitPath} does not exist`, { item: explicitPath, cause: error });
    }
    throw new BucardoError('CONFIG_INVALID', `Cannot load the config${explicitPath ? ` ${explicitPath}` : ''}: ${loadFailure(error)}`, { item: explicitPath ?? 'bucardo.config', cause: error });
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
 * code frame twice and starts by naming the file again: said once, the explanation then the frame.
 */
function loadFailure(error: unknown): string {
  const { message, codeFrame } = error as { message: string; codeFrame?: unknown };
  if (typeof codeFrame !== 'string' || codeFrame === '') return message;
  const explanation = message.split(codeFrame).join('').replace(/^\w+ Error in [^\n]*:\s*/, '').trim();
  return `${explanation}\n\n${codeFrame}\n`;
}
