// PEM in one canonical shape everywhere weft emits it: 64-column base64, '\n' line ends, trailing newline.
// Canonical output lets callers concatenate PEMs (a TLS `cert` chain is `chainPem.join('')`) and compare them.

export function derToPem(der: Uint8Array | ArrayBuffer, label: string): string {
  const b64 = Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 64) lines.push(b64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const BLOCK_RE = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** The DER contents of every PEM block with the given label, in order; text outside blocks is ignored. */
export function pemBlocks(text: string, label: string): Buffer[] {
  const out: Buffer[] = [];
  for (const m of text.matchAll(BLOCK_RE)) {
    if (m[1] !== label) continue;
    const body = m[2]!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) throw new Error(`PEM ${label} block is not valid base64`);
    out.push(Buffer.from(body, 'base64'));
  }
  return out;
}

/** Exactly one PEM block with the given label, or a clear error naming `what`. */
export function onePemBlock(text: unknown, label: string, what: string): Buffer {
  if (typeof text !== 'string') throw new Error(`${what}: expected a PEM string`);
  const blocks = pemBlocks(text, label);
  if (blocks.length !== 1) throw new Error(`${what}: expected exactly one PEM "${label}" block, found ${blocks.length}`);
  return blocks[0]!;
}
