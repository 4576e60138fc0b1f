/**
 * The bytes a server sends for `COPY … TO STDOUT` of some lines of COPY text: CopyOutResponse, one
 * CopyData per row, CopyDone, CommandComplete and ReadyForQuery, as protocol-flow.html#PROTOCOL-COPY
 * describes them; `interspersed` puts a NoticeResponse before the first row, and a NotificationResponse
 * and a ParameterStatus after it.
 */
export function copyOutMessages(lines: readonly string[], options: { interspersed?: boolean } = {}): Buffer {
  const messages = [message('H', Buffer.from([0, 0, 0]))];
  if (options.interspersed) messages.push(message('N', Buffer.from('SNOTICE\0Mhello\0\0')));
  lines.forEach((line, index) => {
    messages.push(message('d', Buffer.from(`${line}\n`)));
    if (options.interspersed && index === 0) messages.push(message('A', Buffer.from('\0\0\0\x07chan\0payload\0')), message('S', Buffer.from('TimeZone\0UTC\0')));
  });
  messages.push(message('c', Buffer.alloc(0)), message('C', Buffer.from(`COPY ${lines.length}\0`)), message('Z', Buffer.from('I')));
  return Buffer.concat(messages);
}

/** One protocol message: its code, then its length (which counts itself), then its body. */
export function message(code: string, body: Buffer): Buffer {
  const header = Buffer.alloc(5);
  header.write(code, 0, 'latin1');
  header.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([header, body]);
}

/** `bytes` cut into chunks of `size`, as a socket might deliver them. */
export function chunksOf(bytes: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let start = 0; start < bytes.length; start += size) chunks.push(bytes.subarray(start, start + size));
  return chunks;
}
