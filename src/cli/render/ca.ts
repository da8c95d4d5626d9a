// `weft ca rotate|import|bundle`.

export function renderRotate(r: { steps: string[] }): string {
  return r.steps.map((s) => `done: ${s}\n`).join('');
}

export function renderImported(): string {
  return 'imported; every proxy is being re-issued by the new CA\n';
}

/** The trust bundle as PEM, one root after another, ending in a newline. */
export function renderBundle(r: { bundle: string[] }): string {
  return r.bundle.map((p) => (p.endsWith('\n') ? p : p + '\n')).join('');
}
