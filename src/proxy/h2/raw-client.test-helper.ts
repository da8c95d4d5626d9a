// A test peer that speaks raw HTTP/2 frames: what a hostile or minimal client does, byte for byte. It never
// sends WINDOW_UPDATE unless told, so it also stands for a client that stops reading.
import net from 'node:net';
import { FrameReader, FRAME, FLAG, PREFACE, settingsFrame, settingsAck, type Frame } from './frames.js';
import { waitFor } from '../../util/wait.js';

export class RawClient {
  readonly sock: net.Socket;
  readonly frames: Frame[] = [];
  private readonly reader = new FrameReader({ maxFrameSize: 1 << 24 });
  closed = false;
  constructor(port: number) {
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.on('data', (b) => {
      try {
        this.frames.push(...this.reader.push(b));
      } catch {
        // the server broke framing: the test's assertions say so
      }
    });
    this.sock.on('close', () => { this.closed = true; });
    this.sock.on('error', () => {});
    this.sock.write(Buffer.concat([PREFACE, settingsFrame([])]));
  }
  send(...bufs: Buffer[]): void {
    if (!this.sock.destroyed) this.sock.write(Buffer.concat(bufs));
  }
  /** Acknowledges the server's SETTINGS (then the server holds us to its limits). */
  async ack(): Promise<void> {
    await waitFor('server SETTINGS', () => this.frames.some((f) => f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) === 0), 5000);
    this.send(settingsAck());
  }
  goaway(): Frame | undefined {
    return this.frames.find((f) => f.type === FRAME.GOAWAY);
  }
  resets(): Frame[] {
    return this.frames.filter((f) => f.type === FRAME.RST_STREAM);
  }
  async gone(): Promise<number> {
    await waitFor('GOAWAY and close', () => this.goaway() !== undefined && this.closed, 5000);
    return this.goaway()!.payload.readUInt32BE(4);
  }
}
