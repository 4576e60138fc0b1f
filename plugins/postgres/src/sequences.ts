import type pg from 'pg';
import type { SequenceState, TableRef } from '@bucardo/plugin-sdk';
import { qualified } from './capture-names.js';

/** A sequence's value and settings, or undefined when there is no such sequence here. */
export async function readSequence(client: pg.Client, sequence: TableRef): Promise<SequenceState | undefined> {
  const settings = await client.query<{ start_value: string; increment_by: string; min_value: string; max_value: string; cycle: string }>(
    'SELECT start_value, increment_by, min_value, max_value, cycle FROM pg_sequences WHERE schemaname = $1 AND sequencename = $2',
    [sequence.schema, sequence.name],
  );
  const row = settings.rows[0];
  if (!row) return undefined;
  const value = await client.query<{ last_value: string; is_called: string }>(`SELECT last_value, is_called FROM ${qualified(sequence)}`);
  return {
    lastValue: value.rows[0]!.last_value, isCalled: value.rows[0]!.is_called === 't',
    start: row.start_value, increment: row.increment_by, min: row.min_value, max: row.max_value, cycle: row.cycle === 't',
  };
}

/**
 * Makes a sequence equal to `state`: its settings and value in one ALTER (PostgreSQL checks the current
 * value against new bounds, so changing the bounds alone fails when the old value lies outside them), then
 * `setval` for `is_called`.
 */
export async function setSequence(client: pg.Client, sequence: TableRef, state: SequenceState): Promise<void> {
  await client.query(`ALTER SEQUENCE ${qualified(sequence)} INCREMENT BY ${BigInt(state.increment)} MINVALUE ${BigInt(state.min)}
    MAXVALUE ${BigInt(state.max)} START WITH ${BigInt(state.start)} RESTART WITH ${BigInt(state.lastValue)} ${state.cycle ? 'CYCLE' : 'NO CYCLE'}`);
  await client.query('SELECT pg_catalog.setval($1::regclass, $2::bigint, $3::boolean)', [qualified(sequence), state.lastValue, state.isCalled]);
}
