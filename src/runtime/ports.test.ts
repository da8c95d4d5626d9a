import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { ephemeralRange, freePort, reservableRange, reservePort } from './ports.js';

function listen(port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(s));
  });
}
const close = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

describe('app ports', () => {
  it('are drawn from below the ephemeral range, or above it when there is no room below', () => {
    assert.deepEqual(reservableRange([32768, 60999]), [10000, 32767]);
    assert.deepEqual(reservableRange([1024, 60000]), [60001, 65535]);
    assert.equal(reservableRange([1024, 65000]), undefined);
  });

  it('a reserved port is outside the range port-0 binds come from, held until release(), and free right after it', async () => {
    const [lo, hi] = ephemeralRange();
    const held = await Promise.all(Array.from({ length: 10 }, () => reservePort()));
    try {
      for (const r of held) assert.ok(r.port < lo || r.port > hi, `port ${r.port} lies in the ephemeral range ${lo}-${hi}`);
      assert.equal(new Set(held.map((r) => r.port)).size, held.length, 'two reservations got the same port');
      // Held: nobody else can listen on it.
      await assert.rejects(listen(held[0]!.port), /EADDRINUSE/);
      // Port-0 binds (what every proxy listener does) never land on a held port.
      const zeros = await Promise.all(Array.from({ length: 50 }, () => listen(0)));
      const got = new Set(zeros.map((s) => (s.address() as net.AddressInfo).port));
      await Promise.all(zeros.map(close));
      for (const r of held) assert.ok(!got.has(r.port), `a port-0 bind was given reserved port ${r.port}`);
      // Released: the app can bind it at once, in the same turn of the event loop.
      held[0]!.release();
      const app = await listen(held[0]!.port);
      await close(app);
    } finally {
      for (const r of held) r.release();
    }
  });

  it('freePort gives a port that can be listened on', async () => {
    const p = await freePort();
    assert.ok(Number.isInteger(p) && p > 0 && p < 65536);
    await close(await listen(p));
  });
});
