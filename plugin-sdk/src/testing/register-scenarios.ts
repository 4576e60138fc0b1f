/** How every kit registers its scenarios with vitest. */
import { describe, it } from 'vitest';

/** A kit scenario as a plain object: resolves with a reason when it does not apply, rejects when it fails. */
export interface RunnableScenario<Id extends string> {
  /** The scenario's id (as in a kit's `options.skip`). */
  readonly id: Id;
  /** The test title. */
  readonly title: string;
  /** Runs the scenario. */
  run(): Promise<{ readonly skipped: string } | undefined>;
}

/**
 * One vitest `describe` named `title`, one test per scenario: a scenario in `skip` is shown as skipped
 * with its reason, and one that does not apply skips itself with the reason it gives.
 */
export function registerScenarios<Id extends string>(title: string, scenarios: readonly RunnableScenario<Id>[], options: { readonly skip?: Readonly<Partial<Record<Id, string>>>; readonly timeout?: number } = {}): void {
  describe(title, () => {
    for (const scenario of scenarios) {
      const reason = options.skip?.[scenario.id];
      if (reason !== undefined) {
        it.skip(`${scenario.title} (skipped: ${reason})`, () => undefined);
        continue;
      }
      it(scenario.title, async (context) => {
        const outcome = await scenario.run();
        if (outcome) context.skip(outcome.skipped);
      }, options.timeout);
    }
  });
}
