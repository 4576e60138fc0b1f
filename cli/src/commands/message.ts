import { heartbeatExpired } from '@bucardo/core';
import { BucardoError } from '@bucardo/plugin-sdk';
import type { CliSession } from '../cli-session.js';

/**
 * `bucardo message TEXT…`: a line in the daemon's log (Bucardo's `bucardo_log_message`), e.g. to mark a
 * deploy or a maintenance window among the runs. Stored in the control database until a daemon logs it,
 * so one sent while none runs is logged when one starts; the command says which.
 */
export async function message(session: CliSession): Promise<number> {
  const text = session.words.join(' ').trim();
  if (text === '') throw new BucardoError('INVALID_ARGUMENT', 'Usage: bucardo message TEXT… (the line to write in the daemon\'s log)', { item: 'message' });
  const bucardo = await session.bucardo({ plugins: 'standard' });
  await bucardo.sendMessage(text);
  const running = (await bucardo.daemons()).filter((daemon) => !heartbeatExpired(daemon));
  session.print(running.length === 0
    ? 'No daemon is running: the message is logged when one starts'
    : `Message sent to the log of Bucardo (PID ${running.map((daemon) => daemon.pid).join(', ')})`);
  return 0;
}
