/** The benchmark's output: a table on stdout, JSON in bench/results, and the ratio to the previous result. */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../helpers/cli.js';

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** Whether a bigger value is better (throughput) or worse (time). */
  readonly higherIsBetter: boolean;
  /** The target the issue sets, when there is one. */
  readonly target?: { readonly value: number; readonly text: string };
}

export interface BenchResult {
  readonly date: string;
  readonly machine: string;
  readonly quick: boolean;
  /** The one scenario of an `--only` run: compared with the latest full run, never replacing it. */
  readonly only?: string;
  readonly figures: readonly Figure[];
}

const resultsDir = path.join(repoRoot, 'bench', 'results');
const latestFile = path.join(resultsDir, 'latest.json');

export function machine(): string {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** Prints the table, compares with the previous result of the same mode, and saves this one. */
export function report(result: BenchResult): void {
  const previous = readPrevious(result.quick);
  const rows = result.figures.map((figure) => {
    const before = previous?.figures.find((candidate) => candidate.name === figure.name);
    const ratio = before ? figure.value / before.value : undefined;
    const met = figure.target === undefined ? '' : (figure.higherIsBetter ? figure.value >= figure.target.value : figure.value <= figure.target.value) ? 'yes' : 'NO';
    return [figure.name, `${format(figure.value)} ${figure.unit}`, ratio === undefined ? '-' : `${ratio.toFixed(2)}x`, figure.target?.text ?? '', met];
  });
  const header = ['measure', 'value', 'vs previous', 'target', 'met'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ');
  console.log(`\n${result.machine}, ${result.date}${result.quick ? ' (quick)' : ''}`);
  console.log(line(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const row of rows) console.log(line(row));
  mkdirSync(resultsDir, { recursive: true });
  const suffix = `${result.quick ? '-quick' : ''}${result.only ? `-only-${result.only}` : ''}`;
  const file = path.join(resultsDir, `${result.date.replace(/[:.]/g, '-')}${suffix}.json`);
  writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  const full = !result.quick && !result.only;
  if (full) writeFileSync(latestFile, `${JSON.stringify(result, null, 2)}\n`);
  console.log(`\nSaved ${path.relative(repoRoot, file)}${full ? ` and ${path.relative(repoRoot, latestFile)}` : ''}`);
}

function readPrevious(quick: boolean): BenchResult | undefined {
  if (quick) return undefined;
  return existsSync(latestFile) ? (JSON.parse(readFileSync(latestFile, 'utf8')) as BenchResult) : undefined;
}

function format(value: number): string {
  return Math.abs(value) >= 100 ? Math.round(value).toLocaleString('en-US') : value.toFixed(2);
}
