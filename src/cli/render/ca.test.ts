import { test } from 'node:test';
import { golden } from './golden.js';
import { renderBundle, renderImported, renderRotate } from './ca.js';

const pem = (n: string) => `-----BEGIN CERTIFICATE-----\nMIIB${n}zCCAVmgAwIBAgIUQ2FmZWJhYmVkZWFkYmVlZjAwMDAwMDAwMDAwMDAKBggqhkjOPQQDAjA\n-----END CERTIFICATE-----`;

test('ca: rotation steps, import, a bundle with two roots (with and without a final newline)', () => {
  golden('ca-rotate', renderRotate({ steps: ['new root generated', 'every proxy trusts old+new roots', 'every proxy re-issued by the new root', 'old root removed from every proxy'] }));
  golden('ca-import', renderImported());
  golden('ca-bundle', renderBundle({ bundle: [pem('Ab'), pem('Cd') + '\n'] }));
});
